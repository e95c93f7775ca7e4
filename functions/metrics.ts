/** The CloudWatch namespace of the function's metrics. */
export const METRICS_NAMESPACE = "SignedFileStore";

/**
 * Fields that make the request's log line a CloudWatch embedded-metric-format record, so that
 * CloudWatch extracts `Requests` (count) and `Latency` (the function's own time, signing included)
 * by operation and status from the logs with no agent and no API call ("Specification: Embedded
 * metric format", CloudWatch User Guide). Written by hand rather than with aws-embedded-metrics:
 * the format is one object on the line the handler already writes, and the library would add its
 * own writer and flush to every cold start.
 */
export function requestMetrics(
  operation: string,
  status: number,
  durationMs: number,
  timestamp: number,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [["Operation", "Status"], ["Operation"]],
          Metrics: [
            { Name: "Requests", Unit: "Count" },
            { Name: "Latency", Unit: "Milliseconds" },
          ],
        },
      ],
    },
    Operation: operation,
    Status: String(status),
    Requests: 1,
    Latency: durationMs,
  };
}
