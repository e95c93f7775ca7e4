import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";
export const DISTRIBUTION_ID = "EDFDVBD6EXAMPLE";

/** What getRegion and getPartition answer; a test may switch to another partition and back. */
export const environment = { region: REGION, partition: "aws", dnsSuffix: "amazonaws.com" };

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** The stack the resource was registered in. */
  readonly stack: string;
  /** The name AWS knows the resource by, for types whose names are unique in an account or worldwide. */
  readonly physicalName?: string;
  // Resource inputs arrive as whatever JSON the program passed; each test narrows what it reads.
  readonly inputs: Record<string, unknown>;
  /** The resource's URN, as the mocks name it. */
  readonly urn: string;
  /** The `ignoreChanges` option, as sent to the engine. */
  readonly ignoreChanges: readonly string[];
  /** Alias URNs the SDK sent, inherited ones included, when the engine is told it computes none. */
  readonly aliasUrns: readonly string[];
  /** The names of the alias specs the SDK sent, when the engine computes alias URNs itself. */
  readonly aliasNames: readonly string[];
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

/**
 * Where each type keeps its physical name, and the field for a provider-suffixed prefix. Types not
 * listed have no name of their own in the account (distributions, KMS keys) or one scoped to a
 * parent (inline role policies, permission statements).
 */
const NAME_FIELDS: Record<string, { readonly name: string; readonly prefix?: string }> = {
  "aws:s3/bucket:Bucket": { name: "bucket", prefix: "bucketPrefix" },
  "aws:iam/role:Role": { name: "name", prefix: "namePrefix" },
  "aws:cloudwatch/logGroup:LogGroup": { name: "name", prefix: "namePrefix" },
  "aws:cloudfront/publicKey:PublicKey": { name: "name", prefix: "namePrefix" },
  "aws:lambda/function:Function": { name: "name" },
  "aws:cloudfront/keyGroup:KeyGroup": { name: "name" },
  "aws:cloudfront/originAccessControl:OriginAccessControl": { name: "name" },
  "aws:cloudfront/cachePolicy:CachePolicy": { name: "name" },
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": { name: "name" },
  "aws:ssm/parameter:Parameter": { name: "name" },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { name: "name" },
};

/**
 * The provider's unique suffix for a `namePrefix` (a timestamp and a counter, 26 characters); here a
 * hash of the stack and the logical name, so that expectations are stable and stacks differ.
 */
export function providerSuffix(logicalName: string, stack = "test"): string {
  return createHash("sha256").update(`${stack}/${logicalName}`).digest("hex").slice(0, 26);
}

/** The physical name as the provider would choose it; Pulumi's auto-name when none is given. */
function physicalNameOf(type: string, name: string, inputs: Record<string, unknown>): string | undefined {
  const fields = NAME_FIELDS[type];
  if (!fields) return undefined;
  const given = inputs[fields.name];
  if (typeof given === "string") return given;
  const prefix = fields.prefix ? inputs[fields.prefix] : undefined;
  if (typeof prefix === "string") return `${prefix}${providerSuffix(name, pulumi.getStack())}`;
  return `${name}-${providerSuffix(name, pulumi.getStack()).slice(0, 7)}`;
}

function stateFor(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  physicalName: string | undefined,
): Record<string, unknown> {
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = String(physicalName);
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
      return { name: physicalName, arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${physicalName}` };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(inputs.name)}` };
    case "aws:iam/role:Role":
      return { name: physicalName, arn: `arn:aws:iam::${ACCOUNT}:role/${physicalName}` };
    default:
      return physicalName === undefined ? {} : { [NAME_FIELDS[type]?.name ?? "name"]: physicalName };
  }
}

/** Outputs of the stacks a program refers to with a StackReference, by stack name. */
export const stackOutputs: Record<string, Record<string, unknown>> = {};

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

/** What a registration's request carried besides its inputs, by `TYPE::NAME`, until the mocks record it. */
interface RequestOptions {
  readonly urn: string;
  readonly ignoreChanges: readonly string[];
  readonly aliasUrns: readonly string[];
  readonly aliasNames: readonly string[];
}
const requestOptions = new Map<string, RequestOptions>();

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const inputs = unwrapSecrets(args.name, args.inputs);
    const physicalName = physicalNameOf(args.type, args.name, inputs);
    const options = requestOptions.get(`${args.type}::${args.name}`);
    recorded.push({
      type: args.type,
      name: args.name,
      stack: pulumi.getStack(),
      ...(physicalName === undefined ? {} : { physicalName }),
      inputs,
      urn: options?.urn ?? "",
      ignoreChanges: options?.ignoreChanges ?? [],
      aliasUrns: options?.aliasUrns ?? [],
      aliasNames: options?.aliasNames ?? [],
    });
    if (args.type === "pulumi:pulumi:StackReference") {
      const stack = String(inputs.name);
      const outputs = stackOutputs[stack];
      if (!outputs) throw new Error(`no outputs mocked for stack ${stack}`);
      return { id: stack, state: { name: stack, outputs, secretOutputNames: [] } };
    }
    return {
      id: idFor(args.type, args.name),
      state: { ...args.inputs, ...stateFor(args.type, args.name, inputs, physicalName) },
    };
  },
  call(args) {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: "AIDAEXAMPLE" };
      case "aws:index/getRegion:getRegion":
        return { region: environment.region, name: environment.region };
      case "aws:index/getPartition:getPartition":
        return { partition: environment.partition, dnsSuffix: environment.dnsSuffix };
      default:
        throw new Error(`unmocked call ${args.token} ${JSON.stringify(args.inputs)}`);
    }
  },
};

export const PROJECT = "signed-file-store";

// The parts of the SDK's mock monitor and of a registration request read here; neither is typed
// in the SDK's declarations.
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getIgnorechangesList(): string[];
  getAliasurnsList(): string[];
  getAliasesList(): Array<{ getSpec(): { getName(): string } | undefined }>;
}
interface MockMonitor {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
}
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MockMonitor };
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsAliasSpecs: boolean } };

/**
 * Registers whatever follows in `stack` (as a second `pulumi up` of the same program would). With
 * `sdkAliases`, the SDK computes every alias URN itself, the ones children inherit from a renamed
 * parent included, as it does for an engine without alias specs, so a test can read them.
 */
export function useStack(stack: string, { sdkAliases = false } = {}): void {
  pulumi.runtime.setMocks(mocks, PROJECT, stack, false, "organization");
  state.getStore().supportsAliasSpecs = !sdkAliases;
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    requestOptions.set(`${req.getType()}::${req.getName()}`, {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      ignoreChanges: req.getIgnorechangesList(),
      aliasUrns: req.getAliasurnsList(),
      aliasNames: req.getAliasesList().map((a) => a.getSpec()?.getName() ?? ""),
    });
    return register(req, callback);
  };
}

useStack("test");

export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/**
 * The SDK's own wait for its outstanding RPCs (registrations and invokes), which `pulumi up` runs
 * before the program exits. It is marked internal, so it is not in the type declarations.
 */
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/** Waits until every registration has reached the mocks: registration is asynchronous. */
export async function settled(): Promise<void> {
  let last = -1;
  while (recorded.length !== last) {
    last = recorded.length;
    await waitForRPCs();
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The resources one component instance registered, by its name prefix. */
export function resourcesOf(prefix: string, stack = "test"): RecordedResource[] {
  return recorded.filter((r) => r.stack === stack && (r.name === prefix || r.name.startsWith(`${prefix}-`)));
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
