import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import type { EdgeKvTokenConfig } from "../../config/schema";
import type { CdnTokenDeclaration, TokenCdn } from "../../core/cdn/token-expiry";
import {
  CDN_TOKEN_DAYS_TO_EXPIRY_METRIC,
  ENV,
  METRICS_NAMESPACE,
  TOKEN_DAYS_TO_EXPIRY_METRIC,
} from "../../core/environment-names";
import { CDN_TOKEN_EXPIRY_ALARM_DAYS, TOKEN_ROTATION_STALLED_METRIC, expiryAlarmThresholdDays } from "../../core/tokens/metrics";
import type { EdgeGridSecrets } from "./edgegrid-secrets";
import { FunctionErrorsAlarm } from "./function-errors-alarm";
import { assumeRolePolicy, policyDocument } from "./iam-policy";
import { NodejsFunction } from "./nodejs-function";

export interface EdgeKvTokenManagerProps {
  environmentName: string;
  namePrefix: string;
  accountId: string;
  region: string;
  tokens: EdgeKvTokenConfig[];
  /** e.g. rate(1 day) or cron(0 6 * * ? *) */
  scheduleExpression: string;
  expiryThresholdDays: number;
  /** The EdgeGrid credential the function signs with; its key also encrypts the tokens bucket. */
  secrets: EdgeGridSecrets;
  alarmTopicArn: string;
  logRetentionDays: number;
  /**
   * CDN tokens (Fastly, Cloudflare) whose days to expiry the scheduled run reports: service/zone ids and the ARNs of
   * their secrets (encrypted with the secrets' key), never tokens. Absent or empty: none, and no CDN alarm.
   * @default []
   */
  cdnTokens?: CdnTokenDeclaration[];
  /**
   * A CDN token alarm fires below this many days left.
   * @default CDN_TOKEN_EXPIRY_ALARM_DAYS (14)
   */
  cdnTokenExpiryAlarmDays?: number;
}

/**
 * Keeps the environment's declared EdgeKV tokens present and valid: a Lambda run on an EventBridge Scheduler
 * schedule, a versioned bucket for the published edgekv_tokens.js, and three alarms (README "When a token
 * rotation fails"): the live token expires soon, a rotation stalled, the function failed. With `cdnTokens`, the
 * same run reports the days left of the environment's Fastly / Cloudflare tokens, with an expiry alarm per CDN.
 */
export class EdgeKvTokenManager extends Construct {
  readonly fn: NodejsFunction;
  readonly bucket: S3Bucket;
  readonly schedule: SchedulerSchedule;
  readonly expiryAlarm: CloudwatchMetricAlarm;
  readonly stalledAlarm: CloudwatchMetricAlarm;
  /** One per CDN with declared tokens. */
  readonly cdnExpiryAlarms: Partial<Record<TokenCdn, CloudwatchMetricAlarm>> = {};

  constructor(scope: Construct, id: string, props: EdgeKvTokenManagerProps) {
    super(scope, id);
    const { namePrefix } = props;
    const cdnTokens = props.cdnTokens ?? [];
    const cdnAlarmDays = props.cdnTokenExpiryAlarmDays ?? CDN_TOKEN_EXPIRY_ALARM_DAYS;
    if (!Number.isInteger(cdnAlarmDays) || cdnAlarmDays < 1 || cdnAlarmDays > 365) {
      throw new Error(`cdnTokenExpiryAlarmDays must be a whole number of days from 1 to 365; got ${String(cdnAlarmDays)}`);
    }
    const cdnSecretArns = [...new Set(cdnTokens.map((t) => t.secretArn))];

    this.bucket = new S3Bucket(this, "bucket", { bucket: `${namePrefix}-edgekv-tokens-${props.accountId}` });
    this.bucket.overrideLogicalId("edgekv_tokens");
    new S3BucketVersioningA(this, "bucket-versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "bucket-encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.secrets.key.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketPublicAccessBlock(this, "bucket-public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketPolicy(this, "bucket-tls-only", {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });

    this.fn = new NodejsFunction(this, "function", {
      functionName: `${namePrefix}-edgekv-tokens`,
      description: "Reconciles EdgeKV tokens, publishes edgekv_tokens.js and reports days to expiry",
      entry: "functions/edgekv-tokens/index.ts",
      environmentName: props.environmentName,
      logRetentionDays: props.logRetentionDays,
      timeoutSeconds: 300,
      reservedConcurrency: 1,
      environment: {
        [ENV.edgekvTokens]: JSON.stringify(props.tokens),
        [ENV.tokensBucket]: this.bucket.bucket,
        [ENV.tokenExpiryThresholdDays]: String(props.expiryThresholdDays),
        ...(cdnTokens.length > 0 ? { [ENV.cdnTokens]: JSON.stringify(cdnTokens) } : {}),
      },
      statements: [
        // The CDN tokens' secrets are encrypted with the same key: grantRead's kms:Decrypt covers them.
        ...(cdnSecretArns.length > 0
          ? [{ sid: "ReadCdnTokens", actions: ["secretsmanager:GetSecretValue"], resources: cdnSecretArns }]
          : []),
        {
          // The bucket is encrypted with the secrets' key: reading and writing its objects goes through S3.
          sid: "UseTokensBucketKey",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: [props.secrets.key.arn],
          conditions: { StringEquals: { "kms:ViaService": `s3.${props.region}.amazonaws.com` } },
        },
        {
          sid: "PublishTokensFile",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
          resources: [`${this.bucket.arn}/edgekv_tokens/*`, `${this.bucket.arn}/bundles/*`],
        },
        {
          // Without it S3 answers a missing object with AccessDenied instead of NoSuchKey.
          sid: "SeeMissingTokenFiles",
          actions: ["s3:ListBucket"],
          resources: [this.bucket.arn],
          conditions: { StringLike: { "s3:prefix": ["edgekv_tokens/*", "bundles/*"] } },
        },
      ],
    });
    props.secrets.grantRead(this.fn);

    const schedulerRole = new IamRole(this, "scheduler-role", {
      name: `${namePrefix}-edgekv-tokens-scheduler`,
      description: "Lets EventBridge Scheduler start the EdgeKV token reconcile",
      assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com", { StringEquals: { "aws:SourceAccount": props.accountId } }),
    });
    new IamRolePolicy(this, "scheduler-policy", {
      name: "invoke-token-manager",
      role: schedulerRole.id,
      policy: policyDocument([
        { sid: "InvokeTokenManager", actions: ["lambda:InvokeFunction"], resources: [this.fn.function.arn] },
      ]),
    });
    this.schedule = new SchedulerSchedule(this, "schedule", {
      name: `${namePrefix}-edgekv-tokens`,
      description: "Reconcile EdgeKV tokens",
      scheduleExpression: props.scheduleExpression,
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: this.fn.function.arn,
        roleArn: schedulerRole.arn,
        input: JSON.stringify({ action: "reconcile" }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });

    // The metric is the least days left of the legacy tokens the networks serve (core/tokens/reconcile.ts),
    // so a rotation stuck before PRODUCTION still shows the old token's days. The threshold sits below the
    // rotation threshold by the few runs a healthy rotation may take (expiryAlarmThresholdDays).
    const alarmDays = expiryAlarmThresholdDays(props.expiryThresholdDays);
    this.expiryAlarm = new CloudwatchMetricAlarm(this, "expiry-alarm", {
      alarmName: `${namePrefix}-edgekv-token-expiring`,
      alarmDescription:
        `A legacy EdgeKV token that an EdgeWorker network still serves expires in fewer than ${alarmDays} days ` +
        `(rotation starts at ${props.expiryThresholdDays}): the rotation is not getting through. See README "When a token rotation fails".`,
      namespace: METRICS_NAMESPACE,
      metricName: TOKEN_DAYS_TO_EXPIRY_METRIC,
      dimensions: { environment: props.environmentName },
      statistic: "Minimum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: alarmDays,
      comparisonOperator: "LessThanThreshold",
      // The job reports once per scheduled run (daily): the hours between runs have no data and must keep the state
      // the last run set ("notBreaching" here turned a real alarm OK an hour later, every day). Enhanced tokens never
      // expire and emit nothing; if the last legacy token goes away while alarming, set the alarm OK by hand.
      treatMissingData: "ignore",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
    });
    this.stalledAlarm = new CloudwatchMetricAlarm(this, "stalled-alarm", {
      alarmName: `${namePrefix}-edgekv-token-rotation-stalled`,
      alarmDescription:
        "An EdgeWorker activation carrying new EdgeKV tokens failed on every automatic try; the job stopped retrying and the old token stays live. " +
        'Fix the cause, then send {"action":"resume","token":"<namePrefix>"} (README "When a token rotation fails").',
      namespace: METRICS_NAMESPACE,
      metricName: TOKEN_ROTATION_STALLED_METRIC,
      dimensions: { environment: props.environmentName },
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      // Every run reports the count (0 when nothing is stalled): between runs the alarm keeps its state.
      treatMissingData: "ignore",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
    });
    // Per CDN, the least days left of its tokens that report an expiry (core/cdn/token-expiry.ts). Same daily cadence
    // as the EdgeKV metric, so missing data keeps the state. A token the CDN refuses (wrong, revoked, expired) reports
    // no days; the run fails naming it, which the function's errors alarm reports.
    for (const cdn of [...new Set(cdnTokens.map((t) => t.cdn))]) {
      this.cdnExpiryAlarms[cdn] = new CloudwatchMetricAlarm(this, `${cdn}-token-expiry-alarm`, {
        alarmName: `${namePrefix}-${cdn}-token-expiring`,
        alarmDescription:
          `A ${cdn} API token of this environment expires in fewer than ${cdnAlarmDays} days. Create a new token with the same ` +
          `permissions and store it with "edgeplane secrets set --env ${props.environmentName} --cdn ${cdn}" (reads the token from stdin).`,
        namespace: METRICS_NAMESPACE,
        metricName: CDN_TOKEN_DAYS_TO_EXPIRY_METRIC,
        dimensions: { environment: props.environmentName, cdn },
        statistic: "Minimum",
        period: 3600,
        evaluationPeriods: 1,
        threshold: cdnAlarmDays,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "ignore",
        alarmActions: [props.alarmTopicArn],
        okActions: [props.alarmTopicArn],
      });
    }
    new FunctionErrorsAlarm(this, "errors", { fn: this.fn, alarmTopicArn: props.alarmTopicArn });
  }
}
