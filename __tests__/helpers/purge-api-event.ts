/**
 * What API Gateway (HTTP API, IAM auth) hands purge-api, and the queue pair the stack gives the purge
 * worker, as the handler tests and the end-to-end purge tests drive them.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { PURGE_QUEUE_MAX_RECEIVE_COUNT, PURGE_QUEUE_VISIBILITY_SECONDS } from "../../core/jobs/queue-settings";
import type { SqsSimulator } from "./sqs-simulator";

/** The CI role's identity, as API Gateway reports it; purge-api records it as `requestedBy`. */
export const CALLER = "arn:aws:sts::123456789012:assumed-role/edgeplane-prod-ci-purge/GitHubActions";

/** One request to the purge API: `routeKey` like "POST /purge" or "GET /purge/{jobId}". */
export function purgeApiEvent(
  routeKey: string,
  options: { body?: unknown; jobId?: string } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [method, routePath] = routeKey.split(" ") as [string, string];
  const path = options.jobId !== undefined ? `/purge/${options.jobId}` : routePath;
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.jobId !== undefined ? { pathParameters: { jobId: options.jobId } } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      requestId: "req-1",
      routeKey,
      stage: "$default",
      time: "01/Jun/2025:12:00:00 +0000",
      timeEpoch: 1748779200000,
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "edgeplane-cli" },
      authorizer: {
        iam: {
          accessKey: "ASIAEXAMPLE",
          accountId: "123456789012",
          callerId: "AROAEXAMPLE:GitHubActions",
          cognitoIdentity: null,
          principalOrgId: "o-example",
          userArn: CALLER,
          userId: "AROAEXAMPLE:GitHubActions",
        },
      },
    },
  };
}

export const PURGE_QUEUE = "edgeplane-prod-purge";
export const PURGE_DLQ = "edgeplane-prod-purge-dlq";

/** The purge queue and its DLQ with the settings constructs/aws/purge-service.ts gives them. */
export function purgeQueues(): ConstructorParameters<typeof SqsSimulator>[1] {
  return [
    { name: PURGE_DLQ, retentionSeconds: 14 * 24 * 3600 },
    {
      name: PURGE_QUEUE,
      visibilityTimeoutSeconds: PURGE_QUEUE_VISIBILITY_SECONDS,
      deadLetterQueue: PURGE_DLQ,
      maxReceiveCount: PURGE_QUEUE_MAX_RECEIVE_COUNT,
    },
  ];
}
