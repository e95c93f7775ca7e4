import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_ENV, type HandlerConfig, SIGNING_KEY_PARAMETER_ENV } from "../../functions/config";
import { bundleHandler, type FunctionBundle } from "../bundle/function-bundle";
import { corsRules } from "../policies/cors-rules";
import { functionRolePolicy, lambdaAssumeRolePolicy } from "../policies/iam";
import type { AwsContext } from "./aws-context";
import { type ChildScope, keepName } from "./names";

/** The signing key the function reads: the store's own or the account's. */
export interface SigningInputs {
  /** The ID of the public key that signs now (the parameter carries it too). */
  readonly keyPairId: pulumi.Input<string>;
  readonly parameterName: pulumi.Input<string>;
  readonly parameterArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
}

export interface FunctionInputs {
  readonly bucket: aws.s3.Bucket;
  readonly signing: SigningInputs;
  /** The host name signed download URLs use. */
  readonly cdnDomainName: pulumi.Output<string>;
  /** The distribution that serves reads, and that a purge invalidates. */
  readonly distribution: aws.cloudfront.Distribution;
  /** With SSE-KMS: the key that encrypts the objects. */
  readonly dataKeyArn: pulumi.Output<string> | undefined;
}

export interface SigningFunction {
  readonly function: aws.lambda.Function;
  readonly functionUrl: aws.lambda.FunctionUrl;
}

let bundled: FunctionBundle | undefined;
/**
 * esbuild runs once per process: the sources do not change while a program runs, and a program
 * that declares many stores (or a test that deploys one many times) needs the same bytes each time.
 */
function handlerBundle(): FunctionBundle {
  bundled ??= bundleHandler();
  return bundled;
}

/** The function's execution role; its policy follows once the resources it names exist. */
export function createFunctionRole({ name, names, config, parent }: ChildScope): aws.iam.Role {
  return new aws.iam.Role(
    `${name}-function-role`,
    {
      namePrefix: names.prefix("function", 38),
      assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
      description: `${name} signing function`,
      tags: config.tags,
    },
    { parent, ...keepName("namePrefix") },
  );
}

/** The function, its logs, its role's policy and its URL. */
export function createSigningFunction(
  scope: ChildScope,
  role: aws.iam.Role,
  context: AwsContext,
  inputs: FunctionInputs,
): SigningFunction {
  const { name, names, config, parent } = scope;
  const tags = config.tags;
  const { bucket, signing, distribution } = inputs;
  const functionName = names.derived("signer", 64);

  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-function-logs`,
    {
      // Lambda's default log group name for the function (Lambda Developer Guide, "Sending Lambda
      // function logs to CloudWatch Logs"), created here to set its retention.
      name: `/aws/lambda/${functionName}`,
      retentionInDays: config.logRetentionDays,
      tags,
    },
    { parent, ...keepName() },
  );
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-function-policy`,
    {
      name: names.derived("function", 128),
      role: role.id,
      policy: pulumi
        .all([
          bucket.arn,
          distribution.arn,
          logGroup.arn,
          signing.parameterArn,
          signing.kmsKeyArn,
          context.region,
          context.dnsSuffix,
          inputs.dataKeyArn ?? "",
        ])
        .apply(
          ([
            bucketArn,
            distributionArn,
            logGroupArn,
            signingKeyParameterArn,
            kmsKeyArn,
            r,
            dnsSuffix,
            dataKeyArn,
          ]) =>
            JSON.stringify(
              functionRolePolicy({
                bucketArn,
                distributionArn,
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
    { parent, ...keepName() },
  );

  const handlerConfig = pulumi
    .all([
      bucket.bucket,
      context.region,
      context.dnsSuffix,
      inputs.cdnDomainName,
      signing.keyPairId,
      distribution.id,
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
  const bundle = handlerBundle();
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
          [SIGNING_KEY_PARAMETER_ENV]: signing.parameterName,
        },
      },
      tags,
    },
    // A cold start reads the signing key at once: the role must already allow the parameter the
    // configuration names (a store moving to an account's key switches both in one deploy).
    { parent, dependsOn: [rolePolicy], ...keepName() },
  );
  const functionUrl = createFunctionUrl(scope, fn);
  return { function: fn, functionUrl };
}

/** The names of the two statements the provider adds by itself to a function whose URL it creates with auth NONE. */
export const PROVIDER_URL_STATEMENT_IDS = [
  "FunctionURLAllowPublicAccess",
  "FunctionURLAllowInvokeAction",
] as const;

function createFunctionUrl(
  { name, config, parent }: ChildScope,
  fn: aws.lambda.Function,
): aws.lambda.FunctionUrl {
  const api =
    config.corsOrigins.length > 0
      ? corsRules(config.corsOrigins, config.uploads.allowedMetadata).api
      : undefined;
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
    { parent },
  );
  if (config.auth.mode !== "iam") {
    // Function URLs created since October 2025 need both permissions (Lambda Developer Guide,
    // "Control access to Lambda function URLs"); the second is limited to calls through the URL.
    //
    // When it creates a URL with auth NONE, the provider adds both statements itself
    // (PROVIDER_URL_STATEMENT_IDS), and it never removes them: not when the URL is destroyed, and
    // not when its auth type later becomes AWS_IAM, which is an update (@pulumi/aws 7.48,
    // lambda/functionUrl.d.ts: "automatically added to the Lambda function on creation. These
    // policies are NOT removed from AWS when the resource is destroyed"; upstream
    // terraform-provider-aws, function_url.go and pull request #44858). They cannot be declared
    // here under those IDs: the provider adds them as it creates the URL, and a second statement
    // with an ID already in the policy is refused (ResourceConflictException). So the component
    // declares its own two, which Pulumi removes when the store switches to `iam`; the README's
    // "Function URL permissions" gives the command that removes the provider's two. Without these
    // the URL would also be closed after a switch from `iam` to `public`, when the provider adds
    // nothing. They are added once the URL exists (`dependsOn`), after the provider's own writes
    // to the same policy, which Lambda serializes.
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
  return functionUrl;
}
