import { Construct } from "constructs";
import { AboveZeroAlarm } from "./above-zero-alarm";
import type { NodejsFunction } from "./nodejs-function";

export interface FunctionErrorsAlarmProps {
  fn: NodejsFunction;
  alarmTopicArn: string;
}

/** Alarms when a function reports any error in five minutes. */
export class FunctionErrorsAlarm extends Construct {
  constructor(scope: Construct, id: string, props: FunctionErrorsAlarmProps) {
    super(scope, id);
    new AboveZeroAlarm(this, "alarm", {
      alarmName: `${props.fn.functionName}-errors`,
      description: `${props.fn.functionName} reported errors`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: props.fn.functionName },
      statistic: "Sum",
      alarmTopicArn: props.alarmTopicArn,
      dependsOn: [props.fn.function],
    });
  }
}
