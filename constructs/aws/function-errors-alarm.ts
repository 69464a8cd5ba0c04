import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { NodejsFunction } from "./nodejs-function";

export interface FunctionErrorsAlarmProps {
  fn: NodejsFunction;
  alarmTopicArn: string;
}

/** Alarms when a function reports any error in five minutes. */
export class FunctionErrorsAlarm extends Construct {
  constructor(scope: Construct, id: string, props: FunctionErrorsAlarmProps) {
    super(scope, id);
    new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: `${props.fn.functionName}-errors`,
      alarmDescription: `${props.fn.functionName} reported errors`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: props.fn.functionName },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
      dependsOn: [props.fn.function],
    });
  }
}
