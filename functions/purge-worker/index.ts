/**
 * Consumes purge batches from SQS (batch size 5, ReportBatchItemFailures): each message is one planned
 * batch, sent to Fast Purge with the rotating secret's current credential at its planned time
 * (functions/purge-worker/process-records.ts).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ENV, requiredEnv } from "../../core/environment-names";
import { sqsDeadLetterQueue, sqsMessageVisibility } from "../aws/sqs-queue";
import { TransportCache } from "../../core/jobs/send";
import { JobStore } from "../aws/job-store";
import { processPurgeRecords, type PurgeWorkerDeps } from "./process-records";
import { appLogger as logger, flushMetrics, powertoolsPurgeMetrics } from "../aws/powertools";
import { PurgeBuckets } from "../../core/purge/rate-limit";
import { CredentialCache } from "../../core/secrets/credential-cache";
import { secretsManagerCredentialLoader } from "../aws/secrets-manager-credentials";
import { secretsManagerCdnTokenReader } from "../aws/secrets-manager-cdn-token";
import { cdnConnections } from "../aws/cdn-connections";
import { parseCdnTargets } from "../../core/jobs/policy";

/** Per Fast Purge request; two of them (a 401 and its retry) fit the worker's minimum time per message. */
const REQUEST_TIMEOUT_MS = 20_000;

/** The account's rate-limit model, kept across invocations of this container. */
const buckets = new PurgeBuckets();

let deps: PurgeWorkerDeps | undefined;

function dependencies(): PurgeWorkerDeps {
  if (deps !== undefined) return deps;
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({});
  const secrets = new SecretsManagerClient({});
  const metrics = powertoolsPurgeMetrics();
  const targets = parseCdnTargets(process.env[ENV.cdns]);
  const connections =
    targets === undefined
      ? undefined
      : cdnConnections({ readToken: secretsManagerCdnTokenReader(secrets), requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const built: PurgeWorkerDeps = {
    jobs: new JobStore({ client: dynamo, tableName: requiredEnv(ENV.jobsTable) }),
    visibility: sqsMessageVisibility(sqs),
    deadLetters: sqsDeadLetterQueue(sqs, requiredEnv(ENV.purgeDeadLetterQueueUrl)),
    send: {
      credentials: new CredentialCache({ load: secretsManagerCredentialLoader(secrets, requiredEnv(ENV.edgegridSecretArn)) }),
      http: new TransportCache({ timeoutMs: REQUEST_TIMEOUT_MS, userAgent: "edgeplane-purge-worker" }),
      buckets,
      random: Math.random,
      now: Date.now,
      logger,
      metrics,
    },
    ...(targets !== undefined && connections !== undefined
      ? { cdn: { targets, connect: connections.connect, forget: connections.forget, now: Date.now, random: Math.random, logger } }
      : {}),
    logger,
    metrics,
  };
  deps = built;
  return built;
}

export async function handler(event: SQSEvent, context?: Pick<Context, "getRemainingTimeInMillis">): Promise<SQSBatchResponse> {
  try {
    const remaining = context ? () => context.getRemainingTimeInMillis() : undefined;
    return await processPurgeRecords(event.Records, dependencies(), remaining);
  } finally {
    flushMetrics();
  }
}
