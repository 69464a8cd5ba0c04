/**
 * One large purge job through the deployed handlers: purge-api (POST /purge, then GET /purge/{jobId}) and
 * purge-worker driven as Lambda's SQS event source drives it, against the sandbox's Fast Purge (real HTTP
 * and EdgeGrid signatures over loopback; the account's buckets start full).
 *
 * SQS is the simulator from __tests__/helpers (receive counts, visibility, DelaySeconds, redrive after
 * maxReceiveCount) and DynamoDB the fake jobs table, both behind aws-sdk-client-mock. Time is simulated:
 * Date is a fake clock (@sinonjs/fake-timers, jest's own) that the simulator moves to the next visible
 * message, so 50,000 URLs (≈ 3.3 minutes of the URL bucket) take seconds. Figures are in simulated time,
 * except `realMs`.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import FakeTimers from "@sinonjs/fake-timers";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ENV } from "../../core/environment-names";
import { PURGE_QUEUE_MAX_RECEIVE_COUNT, PURGE_QUEUE_VISIBILITY_SECONDS } from "../../core/jobs/queue-settings";
import { OBJECT_BUCKETS } from "../../core/purge/rate-limit";
import { randomSandboxClient } from "../../sandbox/main";
import { startSandbox } from "../../sandbox/server";
import { purgedObjects } from "../../sandbox/state";
import { FakeJobsTable, TABLE } from "../../__tests__/core/jobs/helpers";
import { SqsSimulator } from "../../__tests__/helpers/sqs-simulator";

export interface JobBenchOptions {
  urls: number;
  /** Characters per URL (the prod example's 4,000,000-byte request fits 50,000 URLs of up to 76). */
  urlLength: number;
}

export interface JobBenchFigures {
  urls: number;
  batches: number;
  apiStatus: number;
  jobStatus: string;
  dlqMessages: number;
  redriven: number;
  arrivedOnce: number;
  arrivedMoreThanOnce: number;
  missing: number;
  requests: number;
  throttled429: number;
  receives: number;
  mostReceives: number;
  /** Simulated ms from the POST to the last purge accepted. */
  simulatedMs: number;
  /** Fewest ms the URL bucket allows for these URLs: (urls - burst) / refill. */
  bucketMinimumMs: number;
  objectsPerMinuteBeyondBurst: number;
  refillPerMinute: number;
  realMs: number;
}

const QUEUE = "edgeplane-bench-purge";
const DLQ = "edgeplane-bench-purge-dlq";
const HOST = "www.example.com";

export function benchUrls(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `https://${HOST}/assets/${String(i).padStart(6, "0")}/`;
    return `${head}${"x".repeat(Math.max(0, length - head.length - 5))}.html`;
  });
}

export async function runJobBench(options: JobBenchOptions): Promise<JobBenchFigures> {
  const realStart = performance.now();
  const clock = FakeTimers.install({ toFake: ["Date"], now: Date.UTC(2025, 5, 1, 12, 0, 0) });
  const simulated = { now: () => Date.now(), setTo: (ms: number) => clock.setSystemTime(Math.max(Date.now(), ms)) };
  const sqs = new SqsSimulator(simulated, [
    { name: DLQ, retentionSeconds: 14 * 24 * 3600 },
    {
      name: QUEUE,
      visibilityTimeoutSeconds: PURGE_QUEUE_VISIBILITY_SECONDS,
      deadLetterQueue: DLQ,
      maxReceiveCount: PURGE_QUEUE_MAX_RECEIVE_COUNT,
    },
  ]);
  const table = new FakeJobsTable();
  const secrets = mockClient(SecretsManagerClient);
  const client = randomSandboxClient();
  const sandbox = await startSandbox({ clients: [client] });
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      host: sandbox.url,
      client_token: client.clientToken,
      client_secret: client.clientSecret,
      access_token: client.accessToken,
    }),
    VersionId: "v1",
  });
  const savedEnv = { ...process.env };
  Object.assign(process.env, {
    [ENV.jobsTable]: TABLE,
    [ENV.purgeQueueUrl]: sqs.urlOf(QUEUE),
    [ENV.purgeDeadLetterQueueUrl]: sqs.urlOf(DLQ),
    [ENV.edgegridSecretArn]: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/bench/edgegrid-AbCdEf",
    [ENV.environmentName]: "bench",
    [ENV.serviceName]: "purge",
    [ENV.metricsNamespace]: "edgeplane",
    [ENV.purgePolicy]: JSON.stringify({
      allowedHostnames: [HOST],
      allowedNetworks: ["staging", "production"],
      defaultAction: "invalidate",
      maxObjectsPerRequest: 50_000,
      maxRequestBytes: 4_000_000,
    }),
    EDGEPLANE_INSECURE_LOOPBACK: "1",
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  // The functions log JSON lines to stdout; keep the bench's own output readable.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    String(chunk).startsWith("{")
      ? true
      : (write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;

  try {
    // Loaded now, after the environment and the clock are set: the modules read them at load, as Lambda's do.
    const api = (require("../../functions/purge-api/index") as typeof import("../../functions/purge-api/index")).handler;
    const worker = (require("../../functions/purge-worker/index") as typeof import("../../functions/purge-worker/index")).handler;
    const urls = benchUrls(options.urls, options.urlLength);
    const started = Date.now();
    const posted = await api(apiEvent("POST /purge", JSON.stringify({ type: "url", objects: urls, network: "production" })));
    const answer = JSON.parse(String(posted.body)) as { jobId: string; batches: number };
    await sqs.run(QUEUE, (event: SQSEvent) => worker(event, { getRemainingTimeInMillis: () => 120_000 }));
    const read = await api({ ...apiEvent("GET /purge/{jobId}"), pathParameters: { jobId: answer.jobId } });
    const job = JSON.parse(String(read.body)) as { status: string };

    const counts = new Map<string, number>();
    for (const object of purgedObjects(sandbox.state, { type: "url" }))
      counts.set(String(object), (counts.get(String(object)) ?? 0) + 1);
    const lastAccepted = Math.max(started, ...sandbox.state.purges.map((p) => p.acceptedAtMs));
    const simulatedMs = lastAccepted - started;
    const burst = OBJECT_BUCKETS.url.size;
    const refillPerSecond = OBJECT_BUCKETS.url.refillPerSecond;
    return {
      urls: urls.length,
      batches: answer.batches,
      apiStatus: posted.statusCode ?? 0,
      jobStatus: job.status,
      dlqMessages: sqs.messages(DLQ).length,
      redriven: sqs.stats.redriven,
      arrivedOnce: urls.filter((u) => counts.get(u) === 1).length,
      arrivedMoreThanOnce: urls.filter((u) => (counts.get(u) ?? 0) > 1).length,
      missing: urls.filter((u) => counts.get(u) === undefined).length,
      requests: sandbox.state.requests.length,
      throttled429: sandbox.state.requests.filter((r) => r.status === 429).length,
      receives: sqs.stats.receives,
      mostReceives: sqs.stats.mostReceives,
      simulatedMs,
      bucketMinimumMs: (Math.max(0, urls.length - burst) / refillPerSecond) * 1000,
      objectsPerMinuteBeyondBurst: simulatedMs > 0 ? (Math.max(0, urls.length - burst) / simulatedMs) * 60_000 : Number.NaN,
      refillPerMinute: refillPerSecond * 60,
      realMs: performance.now() - realStart,
    };
  } finally {
    process.stdout.write = write;
    process.env = savedEnv;
    sqs.restore();
    table.restore();
    secrets.restore();
    await sandbox.close();
    clock.uninstall();
  }
}

function apiEvent(routeKey: string, body?: string): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [method, path] = routeKey.split(" ") as [string, string];
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "bench",
      domainName: "bench.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "bench",
      requestId: "bench-1",
      routeKey,
      stage: "$default",
      time: "01/Jun/2025:12:00:00 +0000",
      timeEpoch: Date.now(),
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "edgeplane-bench" },
      authorizer: {
        iam: {
          accessKey: "ASIABENCH",
          accountId: "123456789012",
          callerId: "AROABENCH:bench",
          cognitoIdentity: null,
          principalOrgId: "o-bench",
          userArn: "arn:aws:sts::123456789012:assumed-role/bench/bench",
          userId: "AROABENCH:bench",
        },
      },
    },
  };
}
