import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";
export const DISTRIBUTION_ID = "EDFDVBD6EXAMPLE";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // Resource inputs arrive as whatever JSON the program passed; each test narrows what it reads.
  readonly inputs: Record<string, unknown>;
}

export const recorded: RecordedResource[] = [];

// How the Pulumi SDK marks a secret value on the wire.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Input fields that arrived as secrets, as "resource name.field". */
export const secretFields = new Set<string>();

function unwrapSecrets(name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([field, value]) => {
      if (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE
      ) {
        secretFields.add(`${name}.${field}`);
        return [field, (value as { value: unknown }).value];
      }
      return [field, value];
    }),
  );
}

function stateFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = `${name}-0a1b2c3`;
      return {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
      };
    }
    case "aws:cloudfront/distribution:Distribution":
      return {
        arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
        domainName: "d111111abcdef8.cloudfront.net",
      };
    case "tls:index/privateKey:PrivateKey":
      return {
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\nPUBLIC-${name}\n-----END PUBLIC KEY-----\n`,
        privateKeyPem: `-----BEGIN EC PRIVATE KEY-----\nSECRET-${name}\n-----END EC PRIVATE KEY-----\n`,
        privateKeyPemPkcs8: `-----BEGIN PRIVATE KEY-----\nSECRET-${name}\n-----END PRIVATE KEY-----\n`,
      };
    case "aws:lambda/function:Function":
      return { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(inputs.name)}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return { functionUrl: "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/" };
    case "aws:ssm/parameter:Parameter":
      return { name: `${name}-9f8e`, arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name}-9f8e` };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(inputs.name)}` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    default:
      return {};
  }
}

function idFor(type: string, name: string): string {
  switch (type) {
    case "aws:cloudfront/distribution:Distribution":
      return DISTRIBUTION_ID;
    case "aws:cloudfront/publicKey:PublicKey":
      return `K-${name}`;
    case "aws:cloudfront/keyGroup:KeyGroup":
      return `kg-${name}`;
    default:
      return `${name}-id`;
  }
}

pulumi.runtime.setMocks(
  {
    newResource(args) {
      const inputs = unwrapSecrets(args.name, args.inputs);
      recorded.push({ type: args.type, name: args.name, inputs });
      return {
        id: idFor(args.type, args.name),
        state: { ...args.inputs, ...stateFor(args.type, args.name, inputs) },
      };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: "AIDAEXAMPLE" };
        case "aws:index/getRegion:getRegion":
          return { region: REGION, name: REGION };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        default:
          throw new Error(`unmocked call ${args.token} ${JSON.stringify(args.inputs)}`);
      }
    },
  },
  "signed-file-store",
  "test",
  false,
);

export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until no resource has been registered for a while: registration is asynchronous. */
export async function settled(): Promise<void> {
  let quiet = 0;
  let last = -1;
  while (quiet < 20) {
    await new Promise((r) => setTimeout(r, 5));
    quiet = recorded.length === last ? quiet + 1 : 0;
    last = recorded.length;
  }
}

/** The resources one component instance registered, by its name prefix. */
export function resourcesOf(prefix: string): RecordedResource[] {
  return recorded.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
}

export function countByType(resources: readonly RecordedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

export function single(resources: readonly RecordedResource[], type: string): RecordedResource {
  const found = resources.filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as RecordedResource;
}

/** The function's environment variables, from the one Lambda function among `resources`. */
export function functionEnvironment(resources: readonly RecordedResource[]): Record<string, string> {
  const fn = single(resources, "aws:lambda/function:Function");
  return (fn.inputs.environment as { variables: Record<string, string> }).variables;
}
