/**
 * POST /purge and GET /purge/{jobId} behind API Gateway (HTTP API, payload 2.0, IAM auth).
 * Parse the event → submitPurge / readPurgeJob (core/jobs/purge-requests.ts) → JSON answer.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ENV, requiredEnv } from "../../core/environment-names";
import { newJobId } from "../../core/jobs/message";
import { parseCdnTargets, parsePurgePolicy } from "../../core/jobs/policy";
import { readPurgeJob, submitPurge, type ApiAnswer, type PurgeApiDeps } from "../../core/jobs/purge-requests";
import { sqsBatchQueue } from "../aws/sqs-queue";
import { TransportCache } from "../../core/jobs/send";
import { JobStore } from "../aws/job-store";
import { appLogger as logger, flushMetrics, powertoolsPurgeMetrics } from "../aws/powertools";
import { PurgeBuckets } from "../../core/purge/rate-limit";
import { CredentialCache } from "../../core/secrets/credential-cache";
import { secretsManagerCredentialLoader } from "../aws/secrets-manager-credentials";

/** Inline purges must answer well inside API Gateway's 29 s. */
const INLINE_REQUEST_TIMEOUT_MS = 10_000;

const buckets = new PurgeBuckets();

let deps: PurgeApiDeps | undefined;

/** Built on the first call, so a missing setting fails that call with a clear log line, not the import. */
function dependencies(): PurgeApiDeps {
  if (deps !== undefined) return deps;
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({});
  const secrets = new SecretsManagerClient({});
  const policy = parsePurgePolicy(process.env[ENV.purgePolicy]);
  const metrics = powertoolsPurgeMetrics();
  const cdns = parseCdnTargets(process.env[ENV.cdns]);
  const built: PurgeApiDeps = {
    policy,
    ...(cdns !== undefined ? { cdns } : {}),
    jobs: new JobStore({ client: dynamo, tableName: requiredEnv(ENV.jobsTable) }),
    queue: sqsBatchQueue(sqs, requiredEnv(ENV.purgeQueueUrl)),
    newJobId,
    logger,
    metrics,
    inline: {
      credentials: new CredentialCache({ load: secretsManagerCredentialLoader(secrets, requiredEnv(ENV.edgegridSecretArn)) }),
      http: new TransportCache({ timeoutMs: INLINE_REQUEST_TIMEOUT_MS, userAgent: "edgeplane-purge-api" }),
      buckets,
      random: Math.random,
      now: Date.now,
      logger,
      metrics,
    },
  };
  deps = built;
  return built;
}

export async function handler(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    let result: ApiAnswer;
    switch (event.routeKey) {
      case "POST /purge":
        result = await submitPurge(
          {
            body: event.body,
            isBase64Encoded: event.isBase64Encoded,
            requestedBy: event.requestContext?.authorizer?.iam?.userArn ?? "unknown",
          },
          dependencies(),
        );
        break;
      case "GET /purge/{jobId}":
        result = await readPurgeJob(event.pathParameters?.jobId, dependencies());
        break;
      default:
        result = { statusCode: 404, body: { error: `no route ${event.routeKey}; routes: POST /purge, GET /purge/{jobId}` } };
    }
    return shape(result);
  } catch (error) {
    logger.error("purge API request failed", {
      routeKey: event.routeKey,
      requestId: event.requestContext?.requestId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return shape({
      statusCode: 500,
      body: { error: "internal error; the purge API logged the cause", requestId: event.requestContext?.requestId },
    });
  } finally {
    flushMetrics();
  }
}

function shape({ statusCode, body }: ApiAnswer): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}
