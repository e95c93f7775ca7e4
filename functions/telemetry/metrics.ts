import { JsonText } from "./log";

/** The CloudWatch namespace of the function's metrics. */
export const METRICS_NAMESPACE = "SignedFileStore";

/**
 * Fields that make the request's log line a CloudWatch embedded-metric-format record, so that
 * CloudWatch extracts `Requests` (count), `Latency` (the function's own time) and `SigningLatency`
 * (the time spent computing signatures) by operation and status from the logs with no agent and no API call ("Specification: Embedded
 * metric format", CloudWatch User Guide). Written by hand rather than with aws-embedded-metrics:
 * the format is one object on the line the handler already writes, and the library would add its
 * own writer and flush to every cold start.
 */
/** What the handler notes about a request as it runs, for the request's metrics. */
export interface Trace {
  operation: string;
  /** Time spent computing signatures (CloudFront and SigV4), not waiting on S3 or SSM. */
  signingMs: number;
}

const METRICS = [
  { Name: "Requests", Unit: "Count" },
  { Name: "Latency", Unit: "Milliseconds" },
];
const WITH_SIGNING = [...METRICS, { Name: "SigningLatency", Unit: "Milliseconds" }];
/** The directive is the same on every line but for the metrics declared, so it is JSON once, here. */
const directive = (metrics: typeof METRICS) =>
  JSON.stringify([
    { Namespace: METRICS_NAMESPACE, Dimensions: [["Operation", "Status"], ["Operation"]], Metrics: metrics },
  ]);
const SIGNED_DIRECTIVE = directive(WITH_SIGNING);
const UNSIGNED_DIRECTIVE = directive(METRICS);

/** Adds the request's metrics to its log line's fields. */
export function addRequestMetrics(
  fields: Record<string, unknown>,
  trace: Trace,
  status: number,
  durationMs: number,
  timestamp: number,
): void {
  // A request that signed nothing (a refusal, a listing) has no signing latency to report, and EMF
  // wants a value for every metric it declares.
  const signed = trace.signingMs > 0;
  fields._aws = new JsonText(
    `{"Timestamp":${Number.isFinite(timestamp) ? timestamp : null},"CloudWatchMetrics":${signed ? SIGNED_DIRECTIVE : UNSIGNED_DIRECTIVE}}`,
  );
  fields.Operation = trace.operation;
  fields.Status = String(status);
  fields.Requests = 1;
  fields.Latency = durationMs;
  if (signed) fields.SigningLatency = Math.round(trace.signingMs * 1000) / 1000;
}
