import { Testing } from "cdktf";
import { exampleEnv, resourcesOfType, synthEdgeStack } from "../helpers/synth";
import { EdgeGridSecrets } from "../../constructs/aws/edgegrid-secrets";
import { EdgeKvTokenManager, type EdgeKvTokenManagerProps } from "../../constructs/aws/edgekv-token-manager";
import type { CdnTokenDeclaration } from "../../core/cdn/token-expiry";
import { parseCdnTokenDeclarations } from "../../core/cdn/token-expiry";
import { CDN_TOKEN_EXPIRY_ALARM_DAYS, expiryAlarmThresholdDays } from "../../core/tokens/metrics";

const prod = synthEdgeStack(exampleEnv("prod"));
const alarms = resourcesOfType(prod.json, "aws_cloudwatch_metric_alarm");

describe("EdgeKvTokenManager alarms", () => {
  test("the expiry alarm watches the least days left of the served tokens, below the rotation threshold", () => {
    const expiry = alarms.find((a) => a.alarm_name === "edgeplane-prod-edgekv-token-expiring")!;
    const threshold = Number(
      resourcesOfType(prod.json, "aws_lambda_function").find((f) => f.function_name === "edgeplane-prod-edgekv-tokens")!
        .environment.variables.EDGEPLANE_TOKEN_EXPIRY_THRESHOLD_DAYS,
    );
    expect(expiry).toMatchObject({
      namespace: "edgeplane",
      metric_name: "EdgeKvTokenDaysToExpiry",
      dimensions: { environment: "prod" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: expiryAlarmThresholdDays(threshold),
    });
    expect(expiry.threshold).toBeLessThan(threshold);
    // The job reports once a day: between runs the alarm keeps the state the last run set, so it does not flap.
    expect(expiry).toMatchObject({ period: 3600, evaluation_periods: 1, treat_missing_data: "ignore" });
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

describe("EdgeKvTokenManager CDN tokens", () => {
  const base: Omit<EdgeKvTokenManagerProps, "secrets"> = {
    environmentName: "prod",
    namePrefix: "edgeplane-prod",
    accountId: "123456789012",
    region: "eu-west-1",
    tokens: [],
    scheduleExpression: "cron(0 6 * * ? *)",
    expiryThresholdDays: 30,
    alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:edgeplane-prod-alarms",
    logRetentionDays: 30,
  };
  const FASTLY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/fastly-AbCdEf";
  const CLOUDFLARE_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/cloudflare-AbCdEf";
  const synth = (props: Partial<EdgeKvTokenManagerProps>) =>
    JSON.parse(
      Testing.synthScope((scope) => {
        const secrets = new EdgeGridSecrets(scope, "secrets", {
          namePrefix: "edgeplane-prod",
          secretPathPrefix: "edgeplane/prod",
          bootstrapSecretString: "{}",
          protected: true,
          region: "eu-west-1",
        });
        new EdgeKvTokenManager(scope, "tokens", { ...base, secrets, ...props });
      }),
    ) as Record<string, any>;
  const fn = (json: Record<string, any>) => resourcesOfType(json, "aws_lambda_function")[0]!;
  const statements = (json: Record<string, any>) =>
    resourcesOfType(json, "aws_iam_role_policy").flatMap(
      (p) => JSON.parse(p.policy).Statement as Array<{ Sid: string; Action: string[]; Resource: string[] }>,
    );

  test("without CDN tokens: no CDN setting, permission or alarm", () => {
    const json = synth({});
    expect(fn(json).environment.variables.EDGEPLANE_CDN_TOKENS).toBeUndefined();
    expect(statements(json).map((s) => s.Sid)).not.toContain("ReadCdnTokens");
    expect(resourcesOfType(json, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name)).not.toContainEqual(
      expect.stringMatching(/fastly|cloudflare/),
    );
  });

  test("with CDN tokens: the job gets their declarations, reads exactly their secrets, and each CDN gets an expiry alarm", () => {
    const cdnTokens: CdnTokenDeclaration[] = [
      { cdn: "fastly", secretArn: FASTLY_ARN, serviceId: "SVC1" },
      { cdn: "fastly", secretArn: FASTLY_ARN, serviceId: "SVC2", purgeAll: true },
      { cdn: "cloudflare", secretArn: CLOUDFLARE_ARN, zoneId: "0123456789abcdef0123456789abcdef" },
    ];
    const json = synth({ cdnTokens, cdnTokenExpiryAlarmDays: 10 });
    const variable = fn(json).environment.variables.EDGEPLANE_CDN_TOKENS;
    expect(parseCdnTokenDeclarations(variable, "EDGEPLANE_CDN_TOKENS")).toEqual(cdnTokens);
    expect(statements(json).find((s) => s.Sid === "ReadCdnTokens")).toMatchObject({
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [FASTLY_ARN, CLOUDFLARE_ARN],
    });

    const alarms = resourcesOfType(json, "aws_cloudwatch_metric_alarm");
    for (const cdn of ["fastly", "cloudflare"]) {
      const alarm = alarms.find((a) => a.alarm_name === `edgeplane-prod-${cdn}-token-expiring`);
      expect(alarm).toMatchObject({
        namespace: "edgeplane",
        metric_name: "CdnTokenDaysToExpiry",
        dimensions: { environment: "prod", cdn },
        statistic: "Minimum",
        comparison_operator: "LessThanThreshold",
        threshold: 10,
        period: 3600,
        treat_missing_data: "ignore",
        alarm_actions: [base.alarmTopicArn],
        ok_actions: [base.alarmTopicArn],
      });
      expect(alarm!.alarm_description).toContain(`edgeplane secrets set --env prod --cdn ${cdn}`);
    }
    expect(alarms.filter((a) => a.metric_name === "CdnTokenDaysToExpiry")).toHaveLength(2);
  });

  test("the CDN alarm threshold defaults to two weeks and must be a whole number of days", () => {
    const json = synth({
      cdnTokens: [{ cdn: "cloudflare", secretArn: CLOUDFLARE_ARN, zoneId: "0123456789abcdef0123456789abcdef" }],
    });
    expect(
      resourcesOfType(json, "aws_cloudwatch_metric_alarm").find((a) => a.metric_name === "CdnTokenDaysToExpiry")!.threshold,
    ).toBe(CDN_TOKEN_EXPIRY_ALARM_DAYS);
    expect(CDN_TOKEN_EXPIRY_ALARM_DAYS).toBe(14);
    expect(() => synth({ cdnTokenExpiryAlarmDays: 0.5 })).toThrow(
      "cdnTokenExpiryAlarmDays must be a whole number of days from 1 to 365; got 0.5",
    );
  });
});
