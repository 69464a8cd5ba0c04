import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { PurgePolicyConfig } from "../../config/schema";
import { ENV } from "../../core/environment-names";
import {
  PURGE_QUEUE_MAX_RECEIVE_COUNT,
  PURGE_QUEUE_RETENTION_SECONDS,
  PURGE_QUEUE_VISIBILITY_SECONDS,
  PURGE_WORKER_TIMEOUT_SECONDS,
} from "../../core/jobs/queue-settings";
import { AboveZeroAlarm } from "./above-zero-alarm";
import { FunctionErrorsAlarm } from "./function-errors-alarm";
import type { CdnPurgeTargets } from "./cdn-purge-targets";
import type { EdgeGridSecrets } from "./edgegrid-secrets";
import { NodejsFunction } from "./nodejs-function";

export interface PurgeServiceProps {
  environmentName: string;
  /** e.g. edgeplane-prod */
  namePrefix: string;
  purgePolicy: PurgePolicyConfig;
  /** The EdgeGrid credential both functions sign with (the API too: small purges may finish inline). */
  secrets: EdgeGridSecrets;
  alarmTopicArn: string;
  logRetentionDays: number;
  protected: boolean;
  /**
   * The CDNs the functions purge (config `cdns`): both learn them (EDGEPLANE_CDNS); the worker may read their
   * token secrets and invalidate their CloudFront distributions.
   * @default none: Akamai alone, serving purgePolicy.allowedHostnames (no EDGEPLANE_CDNS)
   */
  cdns?: CdnPurgeTargets;
}

/**
 * Concurrent purge-worker invocations. Fast Purge rate limits are shared by the whole Akamai account, so
 * more workers only earn more 429s (DESIGN "Fast Purge").
 */
const WORKER_CONCURRENCY = 2;
/** Stage throttling for the whole API: requests per second and burst. */
const API_RATE_LIMIT = 10;
const API_BURST_LIMIT = 20;
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * The purge service: an IAM-authenticated HTTP API (POST /purge, GET /purge/{jobId}) in front of purge-api,
 * a jobs table, a queue of planned batches with a DLQ, and the purge-worker that calls Fast Purge.
 *
 * Jobs table items: partition key `jobId`, sort key `item` ("job" or "batch#<n>"), TTL on `expiresAt`.
 */
export class PurgeService extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly routes: Apigatewayv2Route[];
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly jobsTable: DynamodbTable;
  readonly apiFunction: NodejsFunction;
  readonly workerFunction: NodejsFunction;
  /** execute-api ARNs of exactly the two purge routes, for callers' IAM policies. */
  readonly routeArns: string[];

  constructor(scope: Construct, id: string, props: PurgeServiceProps) {
    super(scope, id);
    const { namePrefix } = props;

    this.jobsTable = new DynamodbTable(this, "jobs", {
      name: `${namePrefix}-purge-jobs`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "jobId",
      rangeKey: "item",
      attribute: [
        { name: "jobId", type: "S" },
        { name: "item", type: "S" },
      ],
      ttl: { attributeName: "expiresAt", enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: props.protected,
    });

    this.jobsTable.overrideLogicalId("purge_jobs");

    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: `${namePrefix}-purge-dlq`,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    this.deadLetterQueue.overrideLogicalId("purge_dlq");
    this.queue = new SqsQueue(this, "queue", {
      name: `${namePrefix}-purge`,
      // AWS guidance: at least six times the consumer's timeout.
      visibilityTimeoutSeconds: PURGE_QUEUE_VISIBILITY_SECONDS,
      messageRetentionSeconds: PURGE_QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: PURGE_QUEUE_MAX_RECEIVE_COUNT,
      }),
    });

    this.queue.overrideLogicalId("purge");

    const common = { [ENV.jobsTable]: this.jobsTable.name, [ENV.purgePolicy]: JSON.stringify(props.purgePolicy) };

    this.apiFunction = new NodejsFunction(this, "api-function", {
      functionName: `${namePrefix}-purge-api`,
      description: "Validates purge requests, records jobs and enqueues batches",
      entry: "functions/purge-api/index.ts",
      environmentName: props.environmentName,
      logRetentionDays: props.logRetentionDays,
      timeoutSeconds: 29, // API Gateway's integration timeout
      environment: { ...common, [ENV.purgeQueueUrl]: this.queue.url },
      statements: [
        {
          sid: "PurgeJobs",
          actions: ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
          resources: [this.jobsTable.arn],
        },
        { sid: "EnqueueBatches", actions: ["sqs:SendMessage"], resources: [this.queue.arn] },
      ],
    });
    props.secrets.grantRead(this.apiFunction); // small purges may finish inline when the caller asks to wait

    this.workerFunction = new NodejsFunction(this, "worker-function", {
      functionName: `${namePrefix}-purge-worker`,
      description: "Sends planned purge batches to Akamai Fast Purge within the account's rate limits",
      entry: "functions/purge-worker/index.ts",
      environmentName: props.environmentName,
      logRetentionDays: props.logRetentionDays,
      timeoutSeconds: PURGE_WORKER_TIMEOUT_SECONDS,
      reservedConcurrency: WORKER_CONCURRENCY,
      environment: { ...common, [ENV.purgeDeadLetterQueueUrl]: this.deadLetterQueue.url },
      statements: [
        {
          sid: "ConsumeBatches",
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
          resources: [this.queue.arn],
        },
        // A batch out of attempts is moved to the DLQ by the worker (the queue's redrive is a safety net).
        { sid: "DeadLetterBatches", actions: ["sqs:SendMessage"], resources: [this.deadLetterQueue.arn] },
        { sid: "UpdatePurgeJobs", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [this.jobsTable.arn] },
      ],
    });
    props.secrets.grantRead(this.workerFunction);
    if (props.cdns) {
      props.cdns.describeTo(this.apiFunction);
      props.cdns.grantPurge(this.workerFunction);
    }
    new LambdaEventSourceMapping(this, "worker-source", {
      eventSourceArn: this.queue.arn,
      functionName: this.workerFunction.function.arn,
      batchSize: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      // SQS pollers must not start more invocations than the reserved concurrency (minimum allowed is 2).
      scalingConfig: { maximumConcurrency: Math.max(2, WORKER_CONCURRENCY) },
      // Creating the mapping checks that the role can already read the queue.
      dependsOn: [this.workerFunction.policy],
    });

    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${namePrefix}-purge`,
      retentionInDays: props.logRetentionDays,
    });
    this.api = new Apigatewayv2Api(this, "api", {
      name: `${namePrefix}-purge`,
      description: "edgeplane purge API (IAM-authenticated)",
      protocolType: "HTTP",
    });
    const integration = new Apigatewayv2Integration(this, "api-integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.apiFunction.function.invokeArn,
      integrationMethod: "POST",
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 29_000,
    });
    this.routes = ["POST /purge", "GET /purge/{jobId}"].map(
      (routeKey) =>
        new Apigatewayv2Route(this, `route-${routeKey.split(" ")[0]!.toLowerCase()}`, {
          apiId: this.api.id,
          routeKey,
          authorizationType: "AWS_IAM",
          target: `integrations/${integration.id}`,
        }),
    );
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: API_RATE_LIMIT,
        throttlingBurstLimit: API_BURST_LIMIT,
      },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          time: "$context.requestTime",
          routeKey: "$context.routeKey",
          status: "$context.status",
          caller: "$context.identity.userArn",
          sourceIp: "$context.identity.sourceIp",
          latencyMs: "$context.responseLatency",
          integrationError: "$context.integrationErrorMessage",
        }),
      },
    });

    const postArn = `${this.api.executionArn}/${this.stage.name}/POST/purge`;
    const getArn = `${this.api.executionArn}/${this.stage.name}/GET/purge/*`;
    this.routeArns = [postArn, getArn];
    for (const [i, sourceArn] of this.routeArns.entries()) {
      new LambdaPermission(this, `api-invoke-${i === 0 ? "post" : "get"}`, {
        statementId: i === 0 ? "AllowPostPurge" : "AllowGetPurgeJob",
        action: "lambda:InvokeFunction",
        functionName: this.apiFunction.function.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn,
      });
    }

    new AboveZeroAlarm(this, "dlq-alarm", {
      alarmName: `${namePrefix}-purge-dlq-not-empty`,
      description: "Purge batches failed after every retry and wait in the DLQ",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.deadLetterQueue.name },
      statistic: "Maximum",
      alarmTopicArn: props.alarmTopicArn,
    });
    new FunctionErrorsAlarm(this, "api-errors", { fn: this.apiFunction, alarmTopicArn: props.alarmTopicArn });
    new FunctionErrorsAlarm(this, "worker-errors", { fn: this.workerFunction, alarmTopicArn: props.alarmTopicArn });
  }
}
