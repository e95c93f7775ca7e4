import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs } from "../../components";
import {
  functionEnvironment,
  type RecordedResource,
  resourcesOf,
  settled,
  single,
} from "../support/pulumi-mocks";

async function build(name: string, args: SignedFileStoreArgs): Promise<RecordedResource[]> {
  new SignedFileStore(name, args);
  await settled();
  return resourcesOf(name);
}

describe("SignedFileStore guard rails", () => {
  it("caps the function's concurrency when asked, and not otherwise", async () => {
    const capped = await build("capped", { auth: { mode: "public" }, reservedConcurrency: 20 });
    const open = await build("uncapped", { auth: { mode: "public" } });
    expect(single(capped, "aws:lambda/function:Function").inputs.reservedConcurrentExecutions).to.equal(20);
    expect(single(open, "aws:lambda/function:Function").inputs).to.not.have.property(
      "reservedConcurrentExecutions",
    );
    expect(open.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")).to.have.length(0);
  });

  it("alarms on the share of 5xx answers from the function URL's own metrics", async () => {
    const resources = await build("watched", {
      errorRateAlarm: {
        threshold: 0.05,
        periodSeconds: 600,
        evaluationPeriods: 2,
        actions: ["arn:aws:sns:eu-west-1:111122223333:on-call"],
      },
    });
    const metric = (metricName: string) => ({
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: "watched-signer-8b6aec42" },
      period: 600,
      stat: "Sum",
    });
    expect(single(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").inputs).to.deep.equal({
      name: "watched-error-rate-8b6aec42",
      alarmDescription: "Share of API requests answered 5xx above 0.05",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0.05,
      evaluationPeriods: 2,
      treatMissingData: "notBreaching",
      metricQueries: [
        { id: "errors", metric: metric("Url5xxCount"), returnData: false },
        { id: "requests", metric: metric("UrlRequestCount"), returnData: false },
        {
          id: "rate",
          expression: "IF(requests > 0, errors / requests, 0)",
          label: "5xx share",
          returnData: true,
        },
      ],
      alarmActions: ["arn:aws:sns:eu-west-1:111122223333:on-call"],
      okActions: ["arn:aws:sns:eu-west-1:111122223333:on-call"],
      tags: {},
    });
  });

  it("passes requireChecksum and the jwt scopes to the handler, and leaves both out when unset", async () => {
    const jwt = {
      mode: "jwt",
      issuer: "https://id.example.com/",
      audience: "files",
      jwksUrl: "https://id.example.com/jwks.json",
    } as const;
    const strict = await build("checksummed", {
      requireChecksum: true,
      auth: {
        ...jwt,
        scopes: { read: "files:read", write: "files:write", delete: "files:delete", purge: "admin" },
      },
    });
    const plain = await build("unscoped", { auth: jwt });
    const configOf = (resources: RecordedResource[]) =>
      JSON.parse(functionEnvironment(resources).SIGNED_FILE_STORE_CONFIG ?? "");
    const strictConfig = configOf(strict);
    expect(strictConfig.uploads.requireChecksum).to.equal(true);
    expect(strictConfig.auth.scopes).to.deep.equal({
      read: "files:read",
      write: "files:write",
      delete: "files:delete",
      purge: "admin",
    });
    const plainConfig = configOf(plain);
    expect(plainConfig.uploads.requireChecksum).to.equal(false);
    // The handler's own default applies: purge needs the scope `purge`.
    expect(plainConfig.auth).to.not.have.property("scopes");
    const partial = await build("purge-scoped", { auth: { ...jwt, scopes: { purge: "files:purge" } } });
    expect(configOf(partial).auth.scopes).to.deep.equal({ purge: "files:purge" });
  });

  const cases: Array<[SignedFileStoreArgs, string]> = [
    [{ requireChecksum: "yes" as never }, '[requireChecksum] must be true or false, got "yes"'],
    [
      {
        auth: {
          mode: "jwt",
          issuer: "i",
          audience: "a",
          jwksUrl: "https://x",
          scopes: { upload: "w" } as never,
        },
      },
      '[auth.scopes] names read, write, delete, purge only, got "upload"',
    ],
    [
      {
        auth: {
          mode: "jwt",
          issuer: "i",
          audience: "a",
          jwksUrl: "https://x",
          scopes: { purge: "files purge" },
        },
      },
      '[auth.scopes.purge] must be a scope token (printable ASCII without space, " or \\), got "files purge"',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://x", scopes: { read: "" } } },
      '[auth.scopes.read] must be a scope token (printable ASCII without space, " or \\), got ""',
    ],
    [{ reservedConcurrency: 0 }, "[reservedConcurrency] must be between 1 and 1000000, got 0"],
    [
      { errorRateAlarm: { threshold: 5 } },
      "[errorRateAlarm.threshold] must be a share between 0 and 1, such as 0.05, got 5",
    ],
    [
      { errorRateAlarm: { threshold: 0.1, periodSeconds: 90 } },
      "[errorRateAlarm.periodSeconds] must be a multiple of 60, got 90",
    ],
    [
      { errorRateAlarm: { threshold: 0.1, actions: ["on-call"] } },
      '[errorRateAlarm.actions] must be a list of ARNs, got ["on-call"]',
    ],
  ];
  cases.forEach(([args, message], i) => {
    it(`throws ${message.slice(0, 60)}`, () => {
      expect(() => new SignedFileStore(`invalid-guard-${i}`, args)).to.throw(Error, message);
    });
  });
});
