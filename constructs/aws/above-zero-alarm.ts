import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { ITerraformDependable } from "cdktf";

export interface AboveZeroAlarmProps {
  alarmName: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "Sum" | "Maximum";
  alarmTopicArn: string;
  /**
   * Resources that must exist before the alarm (e.g. the function whose metric it watches).
   * @default none
   */
  dependsOn?: ITerraformDependable[];
}

/** Alarms (and clears) through SNS when a metric is above zero in any five minutes; no data is fine. */
export class AboveZeroAlarm extends Construct {
  constructor(scope: Construct, id: string, props: AboveZeroAlarmProps) {
    super(scope, id);
    new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: props.alarmName,
      alarmDescription: props.description,
      namespace: props.namespace,
      metricName: props.metricName,
      dimensions: props.dimensions,
      statistic: props.statistic,
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
      dependsOn: props.dependsOn,
    });
  }
}
