import { exampleEnv, resourcesOfType, synthEdgeStack } from "../helpers/synth";
import { expiryAlarmThresholdDays } from "../../core/tokens/metrics";

const prod = synthEdgeStack(exampleEnv("prod"));
const alarms = resourcesOfType(prod.json, "aws_cloudwatch_metric_alarm");

describe("EdgeKvTokenManager alarms", () => {
  test("the expiry alarm watches the least days left of the served tokens, below the rotation threshold", () => {
    const expiry = alarms.find((a) => a.alarm_name === "edgeplane-prod-edgekv-token-expiring")!;
    const threshold = Number(resourcesOfType(prod.json, "aws_lambda_function").find((f) => f.function_name === "edgeplane-prod-edgekv-tokens")!
      .environment.variables.EDGEPLANE_TOKEN_EXPIRY_THRESHOLD_DAYS);
    expect(expiry).toMatchObject({
      namespace: "edgeplane",
      metric_name: "EdgeKvTokenDaysToExpiry",
      dimensions: { environment: "prod" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: expiryAlarmThresholdDays(threshold),
    });
    expect(expiry.threshold).toBeLessThan(threshold);
    expect(expiry.alarm_description).toMatch(/When a token rotation fails/);
  });

  test("a separate alarm fires while a rotation is stalled, and keeps its state between the scheduled runs", () => {
    const stalled = alarms.find((a) => a.alarm_name === "edgeplane-prod-edgekv-token-rotation-stalled")!;
    expect(stalled).toMatchObject({
      namespace: "edgeplane",
      metric_name: "EdgeKvTokenRotationStalled",
      dimensions: { environment: "prod" },
      statistic: "Maximum",
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "ignore",
    });
    expect(stalled.alarm_actions).toHaveLength(1);
    expect(stalled.ok_actions).toEqual(stalled.alarm_actions);
    expect(stalled.alarm_description).toMatch(/"action":"resume"/);
  });

  test("the expiry alarm threshold leaves a healthy rotation a week, never less than half the threshold", () => {
    expect([30, 14, 10, 7, 2, 1].map(expiryAlarmThresholdDays)).toEqual([23, 7, 5, 4, 1, 1]);
  });
});
