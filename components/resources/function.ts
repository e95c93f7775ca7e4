import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_ENV, type HandlerConfig, SIGNING_KEY_PARAMETER_ENV } from "../../functions/config";
import { bundleHandler } from "../bundle/function-bundle";
import { corsRules } from "../policies/cors-rules";
import { functionRolePolicy, lambdaAssumeRolePolicy, signingKeyKmsPolicy } from "../policies/iam";
import type { SigningKey } from "./delivery";
import type { ChildScope } from "./names";

export interface FunctionInputs {
  readonly bucket: aws.s3.Bucket;
  readonly activeKey: SigningKey;
  /** The host name signed download URLs use. */
  readonly cdnDomainName: pulumi.Output<string>;
  /** The distribution a purge invalidates. */
  readonly distributionId: pulumi.Output<string>;
  /** With SSE-KMS: the key that encrypts the objects. */
  readonly dataKeyArn: pulumi.Output<string> | undefined;
}

export interface SigningFunction {
  readonly role: aws.iam.Role;
  readonly function: aws.lambda.Function;
  readonly functionUrl: aws.lambda.FunctionUrl;
  readonly signingKeyParameter: aws.ssm.Parameter;
}

/** The function's identity, its secret, the function and its URL. */
export function createSigningFunction(
  { name, names, config, parent }: ChildScope,
  inputs: FunctionInputs,
): SigningFunction {
  const opts = { parent };
  const tags = config.tags;
  const identity = aws.getCallerIdentityOutput({}, opts);
  const region = aws.getRegionOutput({}, opts).region;
  const partition = aws.getPartitionOutput({}, opts);
  const { bucket, activeKey } = inputs;
  const functionName = names.derived("signer", 64);

  const role = new aws.iam.Role(
    `${name}-function-role`,
    {
      namePrefix: names.prefix("function", 38),
      assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
      description: `${name} signing function`,
      tags,
    },
    opts,
  );
  const kmsKey = new aws.kms.Key(
    `${name}-signing-key-kms`,
    {
      description: `${name}: encrypts the CloudFront signing key`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi
        .all([partition.partition, partition.dnsSuffix, identity.accountId, role.arn, region])
        .apply(([p, dnsSuffix, account, roleArn, r]) =>
          JSON.stringify(signingKeyKmsPolicy(`arn:${p}:iam::${account}:root`, roleArn, r, dnsSuffix)),
        ),
      tags,
    },
    opts,
  );
  const signingKeyParameter = new aws.ssm.Parameter(
    `${name}-signing-key`,
    {
      name: names.derived("signing-key", 512),
      type: "SecureString",
      description: `${name}: CloudFront signing key "${activeKey.name}", its public key ID and PEM`,
      // The public key's ID and the private key in one value, so they change in one write: with the
      // ID in the function's environment instead, a cold start between the parameter's update and
      // the function's would pair the new key with the old ID (functions/signers/signing-key.ts reads both).
      value: pulumi.secret(
        pulumi
          .all([activeKey.publicKey.id, activeKey.privateKey.privateKeyPemPkcs8])
          .apply(([keyPairId, privateKeyPem]) => JSON.stringify({ keyPairId, privateKeyPem })),
      ),
      keyId: kmsKey.arn,
      tags,
    },
    opts,
  );
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-function-logs`,
    {
      // Lambda's default log group name for the function (Lambda Developer Guide, "Sending Lambda
      // function logs to CloudWatch Logs"), created here to set its retention.
      name: `/aws/lambda/${functionName}`,
      retentionInDays: config.logRetentionDays,
      tags,
    },
    opts,
  );
  new aws.iam.RolePolicy(
    `${name}-function-policy`,
    {
      name: names.derived("function", 128),
      role: role.id,
      policy: pulumi
        .all([
          bucket.arn,
          logGroup.arn,
          signingKeyParameter.arn,
          kmsKey.arn,
          region,
          partition.dnsSuffix,
          inputs.dataKeyArn ?? "",
        ])
        .apply(([bucketArn, logGroupArn, signingKeyParameterArn, kmsKeyArn, r, dnsSuffix, dataKeyArn]) =>
          JSON.stringify(
            functionRolePolicy({
              bucketArn,
              logGroupArn,
              signingKeyParameterArn,
              kmsKeyArn,
              region: r,
              dnsSuffix,
              ...(dataKeyArn ? { dataKeyArn } : {}),
            }),
          ),
        ),
    },
    opts,
  );

  const handlerConfig = pulumi
    .all([
      bucket.bucket,
      region,
      partition.dnsSuffix,
      inputs.cdnDomainName,
      activeKey.publicKey.id,
      inputs.distributionId,
    ])
    .apply(
      ([bucketName, r, dnsSuffix, domain, keyPairId, distributionId]): HandlerConfig => ({
        // The presigner's S3 endpoint is s3.REGION.DNS_SUFFIX, with the partition's suffix.
        s3: { bucket: bucketName, region: r, dnsSuffix },
        cdnBaseUrl: `https://${domain}`,
        keyPairId,
        hashAlgorithm: config.hashAlgorithm,
        expirySeconds: config.expirySeconds,
        maxReadExpirySeconds: config.maxReadExpirySeconds,
        maxWriteExpirySeconds: config.maxWriteExpirySeconds,
        auth: config.auth,
        publicReadPrefixes: config.publicReadPrefixes,
        uploads: config.uploads,
        cdn: { distributionId },
      }),
    );
  const bundle = bundleHandler();
  const fn = new aws.lambda.Function(
    `${name}-function`,
    {
      name: functionName,
      role: role.arn,
      runtime: config.runtime,
      architectures: ["arm64"],
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive(
        Object.fromEntries(
          Object.entries(bundle.files).map(([file, text]) => [file, new pulumi.asset.StringAsset(text)]),
        ),
      ),
      sourceCodeHash: bundle.sha256,
      memorySize: config.memorySize,
      timeout: config.timeoutSeconds,
      // Requests beyond it are throttled with a 429 before the function runs (Lambda Developer Guide,
      // "Configuring reserved concurrency for a function").
      ...(config.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: config.reservedConcurrency }),
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      environment: {
        variables: {
          [CONFIG_ENV]: handlerConfig.apply((c) => JSON.stringify(c)),
          [SIGNING_KEY_PARAMETER_ENV]: signingKeyParameter.name,
        },
      },
      tags,
    },
    opts,
  );
  const api = config.corsOrigins.length > 0 ? corsRules(config.corsOrigins).api : undefined;
  const functionUrl = new aws.lambda.FunctionUrl(
    `${name}-url`,
    {
      functionName: fn.name,
      authorizationType: config.auth.mode === "iam" ? "AWS_IAM" : "NONE",
      ...(api
        ? {
            cors: {
              allowOrigins: [...api.allowOrigins],
              allowMethods: [...api.allowMethods],
              allowHeaders: [...api.allowHeaders],
              exposeHeaders: [...api.exposeHeaders],
              maxAge: api.maxAgeSeconds,
            },
          }
        : {}),
    },
    opts,
  );
  if (config.auth.mode !== "iam") {
    // Function URLs created since October 2025 need both permissions (Lambda Developer Guide,
    // "Control access to Lambda function URLs"); the second is limited to calls through the URL.
    // Lambda adds such statements by itself only when a NONE URL is created in the console;
    // CreateFunctionUrlConfig, which the provider calls, adds none, so the component owns both. They
    // are added once the URL exists (`dependsOn`), so that a public statement never stands on a
    // function whose URL is still being configured, and `pulumi destroy` removes them first.
    const afterUrl = { parent, dependsOn: [functionUrl] };
    new aws.lambda.Permission(
      `${name}-url-public-invoke-url`,
      {
        // Statement IDs are scoped to this function's own resource policy.
        statementId: "PublicInvokeFunctionUrl",
        function: fn.name,
        action: "lambda:InvokeFunctionUrl",
        principal: "*",
        functionUrlAuthType: "NONE",
      },
      afterUrl,
    );
    new aws.lambda.Permission(
      `${name}-url-public-invoke`,
      {
        statementId: "PublicInvokeFunctionThroughUrl",
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "*",
        invokedViaFunctionUrl: true,
      },
      afterUrl,
    );
  }
  return { role, function: fn, functionUrl, signingKeyParameter };
}
