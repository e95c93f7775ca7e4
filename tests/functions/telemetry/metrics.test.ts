import { expect } from "chai";
import { ServiceUnavailable } from "../../../functions/api/http-error";
import { addRequestMetrics } from "../../../functions/telemetry/metrics";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness, NOW } from "../../support/handler-harness";

/** The `_aws` block CloudWatch reads a line's metrics from; `SigningLatency` only when something was signed. */
const emf = (signed: boolean) => ({
  Timestamp: NOW.getTime(),
  CloudWatchMetrics: [
    {
      Namespace: "SignedFileStore",
      Dimensions: [["Operation", "Status"], ["Operation"]],
      Metrics: [
        { Name: "Requests", Unit: "Count" },
        { Name: "Latency", Unit: "Milliseconds" },
        ...(signed ? [{ Name: "SigningLatency", Unit: "Milliseconds" }] : []),
      ],
    },
  ],
});

describe("metrics in embedded metric format", () => {
  const cases: Array<[string, string, string, string, string]> = [
    ["GET", "/a.txt", "", "read", "307"],
    ["PUT", "/a.txt", "", "put", "307"],
    ["GET", "/docs/", "limit=0", "invalid", "400"],
    ["PATCH", "/a.txt", "", "invalid", "405"],
    ["POST", "/a.txt", "uploads&uploadId=x", "invalid", "400"],
    ["GET", "/down.txt", "", "read", "503"],
  ];
  for (const [method, path, query, operation, status] of cases) {
    it(`${method} ${path}?${query} counts one request of ${operation} answered ${status}`, async () => {
      const down = {
        head: async (key: string) => {
          if (key === "down.txt")
            throw new ServiceUnavailable("the object store is unavailable; try again shortly", 1);
          return { key, size: 1, etag: '"e"' };
        },
      };
      const { handle, lines } = harness(baseConfig(), undefined, { objects: down });
      await handle(functionUrlEvent(method, path, { rawQueryString: query }));
      const line = lines.at(-1) ?? {};
      const signed = status === "307";
      expect(line._aws).to.deep.equal(emf(signed));
      expect(typeof line.SigningLatency).to.equal(signed ? "number" : "undefined");
      if (signed)
        expect(line.SigningLatency)
          .to.be.above(0)
          .and.below(Number(line.Latency) + 1);
      expect([line.Operation, line.Status, line.Requests]).to.deep.equal([operation, status, 1]);
      expect(line.Latency).to.equal(line.durationMs);
      expect(line.Latency).to.be.a("number");
    });
  }
});

describe("the metrics fields", () => {
  it("write a clock that gives no time as a null Timestamp, still valid JSON", () => {
    const fields: Record<string, unknown> = {};
    addRequestMetrics(fields, { operation: "read", signingMs: 0 }, 200, 3, Number.NaN);
    const aws = JSON.parse(JSON.stringify(fields._aws)) as { Timestamp: unknown };
    expect(aws.Timestamp).to.equal(null);
    expect([fields.Operation, fields.Status, fields.Requests, fields.Latency]).to.deep.equal([
      "read",
      "200",
      1,
      3,
    ]);
  });
});
