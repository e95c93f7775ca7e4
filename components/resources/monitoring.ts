import * as aws from "@pulumi/aws";
import { type ChildScope, keepName } from "./names";

/**
 * An alarm on the share of API requests answered 5xx, from the metrics Lambda publishes for every
 * function URL (`UrlRequestCount` and `Url5xxCount` in AWS/Lambda by FunctionName; Lambda Developer
 * Guide, "Monitoring Lambda function URLs"), so no log is parsed and nothing depends on what the
 * handler logs. A period without requests is 0 %, not missing data.
 */
export function createErrorRateAlarm(
  { name, names, config, parent }: ChildScope,
  fn: aws.lambda.Function,
): aws.cloudwatch.MetricAlarm | undefined {
  const alarm = config.errorRateAlarm;
  if (!alarm) return undefined;
  const urlMetric = (metricName: string) => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: fn.name },
    period: alarm.periodSeconds,
    stat: "Sum",
  });
  return new aws.cloudwatch.MetricAlarm(
    `${name}-error-rate`,
    {
      name: names.derived("error-rate", 255),
      alarmDescription: `Share of API requests answered 5xx above ${alarm.threshold}`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: alarm.threshold,
      evaluationPeriods: alarm.evaluationPeriods,
      treatMissingData: "notBreaching",
      metricQueries: [
        { id: "errors", metric: urlMetric("Url5xxCount"), returnData: false },
        { id: "requests", metric: urlMetric("UrlRequestCount"), returnData: false },
        {
          id: "rate",
          expression: "IF(requests > 0, errors / requests, 0)",
          label: "5xx share",
          returnData: true,
        },
      ],
      alarmActions: alarm.actions,
      okActions: alarm.actions,
      tags: config.tags,
    },
    { parent, ...keepName() },
  );
}
