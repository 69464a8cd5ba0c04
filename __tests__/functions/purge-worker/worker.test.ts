/**
 * The purge worker against the real sandbox over loopback HTTP (EdgeGrid-verified), with DynamoDB, SQS
 * and Secrets Manager mocked by aws-sdk-client-mock (DynamoDB behind a stateful fake jobs table).
 * One hand-moved clock drives the sandbox, the signer, the rate-limit model and the credential cache.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ChangeMessageVisibilityCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import type { BatchMessage } from "../../../core/jobs/message";
import { sqsDeadLetterQueue, sqsMessageVisibility } from "../../../functions/aws/sqs-queue";
import { TransportCache, purgeHttpFromTransport } from "../../../core/jobs/send";
import { JobStore } from "../../../functions/aws/job-store";
import { PURGE_MAX_ATTEMPTS } from "../../../core/jobs/queue-settings";
import {
  MAX_RECEIVE_COUNT,
  RECORD_GRACE_MS,
  UNRECORDED_RETRY_SECONDS,
  processPurgeRecords,
  type PurgeWorkerDeps,
} from "../../../functions/purge-worker/process-records";
import { PurgeBuckets } from "../../../core/purge/rate-limit";
import { CredentialCache } from "../../../core/secrets/credential-cache";
import { secretsManagerCredentialLoader } from "../../../functions/aws/secrets-manager-credentials";
import type { Sandbox, SandboxOptions } from "../../../sandbox/server";
import {
  FakeJobsTable,
  LOOPBACK_ENV,
  NEW_CLIENT,
  OLD_CLIENT,
  QUEUE_URL,
  TABLE,
  fakeClock,
  recordingLogger,
  recordingMetrics,
  secretString,
  secretsOf,
  sqsRecord,
  startTestSandbox,
  type FakeClock,
} from "../../core/jobs/helpers";

const JOB_ID = "7d3c2b1a-9f8e-4d7c-a6b5-4c3d2e1f0a9b";
const DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/edgeplane-test-purge-dlq";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
const urls = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `https://www.example.com/p/${from + i}`);

function message(batchIndex: number, objects: Array<string | number>, overrides: Partial<BatchMessage> = {}): BatchMessage {
  return { jobId: JOB_ID, batchIndex, type: "url", action: "invalidate", network: "staging", objects, ...overrides };
}

interface World {
  clock: FakeClock;
  sandbox: Sandbox;
  table: FakeJobsTable;
  store: JobStore;
  deps: PurgeWorkerDeps;
  logger: ReturnType<typeof recordingLogger>;
  metrics: ReturnType<typeof recordingMetrics>;
  transports: TransportCache;
}

const sqs = mockClient(SQSClient);
const sm = mockClient(SecretsManagerClient);

async function world(options: { buckets?: SandboxOptions["buckets"]; random?: number } = {}): Promise<World> {
  const clock = fakeClock();
  const sandbox = await startTestSandbox(clock, options.buckets ? { buckets: options.buckets } : {});
  const table = new FakeJobsTable();
  const store = new JobStore({ client: table.client(), tableName: TABLE, now: clock.now });
  const logger = recordingLogger();
  const metrics = recordingMetrics();
  const transports = new TransportCache({ timeoutMs: 5_000, env: LOOPBACK_ENV, now: clock.now });
  sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v-new" });
  const deps: PurgeWorkerDeps = {
    jobs: store,
    visibility: sqsMessageVisibility(new SQSClient({ region: "eu-west-1" })),
    deadLetters: sqsDeadLetterQueue(new SQSClient({ region: "eu-west-1" }), DLQ_URL),
    send: {
      credentials: new CredentialCache({
        load: secretsManagerCredentialLoader(new SecretsManagerClient({ region: "eu-west-1" }), SECRET_ARN),
        now: clock.now,
      }),
      http: transports,
      buckets: new PurgeBuckets({ now: clock.now }),
      random: () => options.random ?? 0.5,
      now: clock.now,
      logger,
      metrics,
    },
    logger,
    metrics,
  };
  return { clock, sandbox, table, store, deps, logger, metrics, transports };
}

async function createJob(w: World, batches: Array<Array<string | number>>): Promise<void> {
  await w.store.createJob({
    jobId: JOB_ID,
    type: "url",
    action: "invalidate",
    network: "staging",
    requestedBy: "arn:aws:iam::123456789012:user/ci",
    rejected: 0,
    duplicates: 0,
    batches: batches.map((objects) => ({ objects: objects.length, bodyBytes: JSON.stringify({ objects }).length })),
  });
}

function visibilityCalls() {
  return sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
}

/** What the worker moved to the DLQ: body and reason. */
function deadLettered(): Array<{ body: string; reason: string | undefined }> {
  return sqs.commandCalls(SendMessageCommand).map((call) => {
    expect(call.args[0].input.QueueUrl).toBe(DLQ_URL);
    return { body: call.args[0].input.MessageBody as string, reason: call.args[0].input.MessageAttributes?.reason?.StringValue };
  });
}

describe("purge worker", () => {
  let w: World;
  beforeEach(() => {
    sqs.reset();
    sm.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
  });
  afterEach(async () => {
    w.transports.close();
    w.table.restore();
    await w.sandbox.close();
  });
  afterAll(() => {
    sqs.restore();
    sm.restore();
  });

  it("sends a batch, records its purgeId and counts the objects once", async () => {
    w = await world();
    await createJob(w, [urls(3)]);
    const record = sqsRecord(message(0, urls(3)));

    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [] });

    expect(w.sandbox.state.purges).toHaveLength(1);
    const purge = w.sandbox.state.purges[0]!;
    expect(purge).toMatchObject({
      action: "invalidate",
      type: "url",
      network: "staging",
      objects: urls(3),
      clientToken: NEW_CLIENT.clientToken,
    });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "done",
      purgeId: purge.purgeId,
      estimatedSeconds: 5,
      supportId: purge.supportId,
    });
    expect((await w.store.getJob(JOB_ID))?.status).toBe("done");
    expect(w.metrics.purged).toEqual([3]);
    expect(w.metrics.latencies).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(visibilityCalls()).toEqual([]);
  });

  it("does not send or count a redelivered message twice (also within one event)", async () => {
    w = await world();
    await createJob(w, [urls(2)]);
    const first = sqsRecord(message(0, urls(2)), 1, "m-1");
    const again = sqsRecord(message(0, urls(2)), 2, "m-1");
    expect(await processPurgeRecords([first, again], w.deps)).toEqual({ batchItemFailures: [] });
    expect(await processPurgeRecords([sqsRecord(message(0, urls(2)), 3, "m-1")], w.deps)).toEqual({ batchItemFailures: [] });

    expect(w.sandbox.state.purges).toHaveLength(1);
    expect(w.metrics.purged).toEqual([2]);
    expect(w.table.item(JOB_ID, "batch#0")?.purgeId).toBe(w.sandbox.state.purges[0]!.purgeId);
    expect(w.logger.entries.some((e) => e.message.includes("redelivered message ignored"))).toBe(true);
  });

  it("on a 429 makes the message come back after the delay the rate-limit headers give", async () => {
    // A 3-object URL bucket refilling at 0.1/s, drained by another client of the same account.
    w = await world({ buckets: { url: { capacity: 3, refillPerSecond: 0.1 } }, random: 0.5 });
    const other = new EdgeGridTransport({
      credentials: { host: w.sandbox.url, ...NEW_CLIENT },
      env: LOOPBACK_ENV,
      now: w.clock.now,
    });
    expect(
      (await purgeHttpFromTransport(other).post("/ccu/v3/invalidate/url/staging", JSON.stringify({ objects: urls(3, 100) })))
        .status,
    ).toBe(201);
    other.close();

    await createJob(w, [urls(2)]);
    const record = sqsRecord(message(0, urls(2)));
    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });

    // X-Ratelimit-Seconds-To-Refresh-Limit-Objects: 30 s (3 tokens at 0.1/s); plus jitter 0.5 × 1 s → 31 s.
    expect(w.sandbox.state.requests.map((r) => r.status)).toEqual([201, 429]);
    expect(visibilityCalls()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 31 }]);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "throttled",
      retryAfterSeconds: 31,
      throttled: 1,
      error: { reason: "throttled", status: 429 },
    });
    expect(w.metrics.throttles).toBe(1);
    expect(w.metrics.purged).toEqual([]);

    // Comes back 31 s later (receive 2): the bucket has refilled and the batch goes through.
    w.clock.advance(31_000);
    expect(await processPurgeRecords([sqsRecord(message(0, urls(2)), 2, record.messageId)], w.deps)).toEqual({
      batchItemFailures: [],
    });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done", throttled: 1 });
    expect(w.table.item(JOB_ID, "batch#0")?.error).toBeUndefined();
    expect(w.metrics.purged).toEqual([2]);
  });

  it("waits on its own rate-limit model without sending when the model says the bucket is empty", async () => {
    w = await world({ buckets: { url: { capacity: 3, refillPerSecond: 0.1 } } });
    await createJob(w, [urls(3), urls(2, 10)]);
    const a = sqsRecord(message(0, urls(3)));
    const b = sqsRecord(message(1, urls(2, 10)));
    expect(await processPurgeRecords([a, b], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: b.messageId }] });
    // The 201's headers taught the model the bucket is empty for 30 s: b is not sent at all.
    expect(w.sandbox.state.requests.map((r) => r.status)).toEqual([201]);
    expect(visibilityCalls()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: b.receiptHandle, VisibilityTimeout: 30 }]);
    expect(w.table.item(JOB_ID, "batch#1")).toMatchObject({ status: "throttled", retryAfterSeconds: 30 });
    expect(w.table.item(JOB_ID, "batch#1")?.attempts).toBeUndefined(); // waiting is not a failed attempt
    expect(w.metrics.throttles).toBe(0);
  });

  it("uses 5 s (plus jitter) when a 429 carries no rate-limit headers", async () => {
    w = await world({ random: 0 });
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 429 }]);
    await createJob(w, [urls(1)]);
    const record = sqsRecord(message(0, urls(1)));
    expect((await processPurgeRecords([record], w.deps)).batchItemFailures).toHaveLength(1);
    expect(visibilityCalls()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 5 }]);
  });

  it("retries 5xx answers from the sandbox with backoff, then records the purge", async () => {
    w = await world({ random: 0.5 });
    w.sandbox.setFaults([
      { pathPrefix: "/ccu/", status: 503 },
      { pathPrefix: "/ccu/", status: 502, malformedJson: true },
    ]);
    await createJob(w, [urls(2)]);
    const first = sqsRecord(message(0, urls(2)), 1, "m-5xx");
    expect((await processPurgeRecords([first], w.deps)).batchItemFailures).toEqual([{ itemIdentifier: "m-5xx" }]);
    // Attempt 1: full jitter in [0, 1 s) → 0.5 s → 1 s (whole seconds, rounded up).
    expect(visibilityCalls().at(-1)).toEqual({ QueueUrl: QUEUE_URL, ReceiptHandle: first.receiptHandle, VisibilityTimeout: 1 });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "retrying",
      attempts: 1,
      error: { reason: "retrying", status: 503 },
    });
    expect((await w.store.getJob(JOB_ID))?.status).toBe("in_progress");

    // A 502 whose JSON is cut short is still a 502: retried (attempt 2: 0.5 × 2 s = 1 s).
    const second = sqsRecord(message(0, urls(2)), 2, "m-5xx");
    expect((await processPurgeRecords([second], w.deps)).batchItemFailures).toEqual([{ itemIdentifier: "m-5xx" }]);
    expect(visibilityCalls().at(-1)?.VisibilityTimeout).toBe(1);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "retrying",
      attempts: 2,
      error: { reason: "retrying", status: 502 },
    });

    const third = sqsRecord(message(0, urls(2)), 3, "m-5xx");
    expect(await processPurgeRecords([third], w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done", purgeId: w.sandbox.state.purges[0]!.purgeId });
    expect(w.sandbox.state.requests.map((r) => r.status)).toEqual([503, 502, 201]);
  });

  it("re-reads the credential once on a 401 (rotation race) and succeeds with the new one", async () => {
    w = await world();
    sm.reset();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretString(w.sandbox, OLD_CLIENT), VersionId: "v-old" })
      .resolves({ SecretString: secretString(w.sandbox, NEW_CLIENT), VersionId: "v-new" });
    await createJob(w, [urls(1), urls(1, 5)]);

    // Warm the cache with the old credential as a container would have it from before the rotation.
    await w.deps.send.credentials.get();
    const records = [sqsRecord(message(0, urls(1))), sqsRecord(message(1, urls(1, 5)))];
    expect(await processPurgeRecords(records, w.deps)).toEqual({ batchItemFailures: [] });

    expect(w.sandbox.state.requests.map((r) => [r.status, r.authFailure])).toEqual([
      [401, "unknown_client"],
      [201, undefined],
      [201, undefined],
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2); // the second batch used the re-read, cached
    expect(w.sandbox.state.purges.map((p) => p.clientToken)).toEqual([NEW_CLIENT.clientToken, NEW_CLIENT.clientToken]);
    expect((await w.store.getJob(JOB_ID))?.status).toBe("done");
    expect(w.metrics.purged).toEqual([1, 1]);
    expect(w.logger.entries.some((e) => e.message.includes("reading the secret again"))).toBe(true);
    for (const secret of secretsOf(OLD_CLIENT, NEW_CLIENT)) expect(w.logger.text()).not.toContain(secret);
  });

  it("fails the batch (finally, not via the DLQ) when the re-read credential is refused too", async () => {
    w = await world();
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(w.sandbox, OLD_CLIENT), VersionId: "v-old" });
    await createJob(w, [urls(1)]);
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)))], w.deps)).toEqual({ batchItemFailures: [] });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(w.sandbox.state.requests.map((r) => r.status)).toEqual([401, 401]);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "failed",
      error: { reason: "credentialRejected", status: 401 },
    });
    expect((await w.store.getJob(JOB_ID))?.status).toBe("failed");
  });

  it("records a 4xx from Fast Purge as a final failure with Akamai's detail and supportId", async () => {
    w = await world();
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 403 }]);
    await createJob(w, [urls(1)]);
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)))], w.deps)).toEqual({ batchItemFailures: [] });
    const error = w.table.item(JOB_ID, "batch#0")?.error as Record<string, unknown>;
    expect(error).toMatchObject({ reason: "rejected", status: 403, detail: "The sandbox answered with an injected status" });
    expect(error.supportId).toMatch(/^edcp-/);
    expect(visibilityCalls()).toEqual([]);

    // A duplicate delivery of that message is not sent again: it would only be refused again.
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)), 2)], w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.sandbox.state.requests).toHaveLength(1);
  });

  it("never spends the retry budget on rate-limit waits, however many receives they take", async () => {
    w = await world({ random: 0 });
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 429, times: 3 }]);
    await createJob(w, [urls(1)]);
    // Far past the old budget of 25 receives, 429s only make the batch wait.
    for (const receiveCount of [40, 41, 42]) {
      const record = sqsRecord(message(0, urls(1)), receiveCount, "m-429");
      expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-429" }] });
      expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "throttled", error: { reason: "throttled", status: 429 } });
      expect(w.table.item(JOB_ID, "batch#0")?.attempts).toBeUndefined();
      w.clock.advance(5_000);
    }
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)), 43, "m-429")], w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done", throttled: 3 });
    expect(deadLettered()).toEqual([]);
  });

  it("counts 5xx attempts in the job record and moves the batch to the DLQ after the last one; a redrive starts afresh", async () => {
    w = await world({ random: 0 });
    await createJob(w, [urls(1)]);
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 500 }]);
    // The job record says PURGE_MAX_ATTEMPTS - 1 tries have failed; the message is only on its 3rd receive.
    await w.store.markBatchWaiting(JOB_ID, 0, { status: "retrying", retryAfterSeconds: 1, attempts: PURGE_MAX_ATTEMPTS - 1 });
    const record = sqsRecord(message(0, urls(1)), 3, "m-500");
    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [] }); // deleted: it is in the DLQ now
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "failed",
      attempts: PURGE_MAX_ATTEMPTS,
      error: { reason: "retries exhausted", status: 500 },
    });
    expect(deadLettered()).toEqual([
      { body: record.body, reason: expect.stringMatching(/^retries exhausted: HTTP 500 on attempt 10 of 10/) },
    ]);
    expect((await w.store.getJob(JOB_ID))?.status).toBe("failed");

    // Redriven from the DLQ (the same body), the batch gets a fresh budget and can still end done.
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)), 1, "m-redriven")], w.deps)).toEqual({
      batchItemFailures: [],
    });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done" });
    expect((await w.store.getJob(JOB_ID))?.status).toBe("done");
  });

  it("keeps the message when the DLQ cannot take it, so the queue's redrive is the last resort", async () => {
    w = await world({ random: 0 });
    sqs.on(SendMessageCommand).rejects(new Error("AccessDenied"));
    await createJob(w, [urls(1)]);
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 500 }]);
    await w.store.markBatchWaiting(JOB_ID, 0, { status: "retrying", retryAfterSeconds: 1, attempts: PURGE_MAX_ATTEMPTS - 1 });
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1)), 2, "m-500")], w.deps)).toEqual({
      batchItemFailures: [{ itemIdentifier: "m-500" }],
    });
    expect(w.logger.entries.some((e) => e.message === "could not move the message to the DLQ; it stays in the queue")).toBe(true);
  });

  it("at the queue's maxReceiveCount, a batch still waiting goes to the DLQ with the job saying why", async () => {
    w = await world();
    w.sandbox.setFaults([{ pathPrefix: "/ccu/", status: 429 }]);
    await createJob(w, [urls(1)]);
    const record = sqsRecord(message(0, urls(1)), MAX_RECEIVE_COUNT, "m-429");
    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({
      status: "failed",
      receiveCount: MAX_RECEIVE_COUNT,
      error: { reason: "retries exhausted", status: 429 },
    });
    expect((w.table.item(JOB_ID, "batch#0")!.error as { detail: string }).detail).toMatch(
      new RegExp(`^still throttled after ${MAX_RECEIVE_COUNT} deliveries: Fast Purge answered 429`),
    );
    expect(deadLettered()).toHaveLength(1);
  });

  it("hands a message back until its planned send time, without sending or counting anything", async () => {
    w = await world();
    await createJob(w, [urls(1)]);
    const notBefore = w.clock.now() + 2 * 3600_000 + 500;
    const record = sqsRecord(message(0, urls(1), { notBefore }), 1, "m-early");
    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-early" }] });
    expect(visibilityCalls()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 7201 }]);
    expect(w.sandbox.state.requests).toEqual([]);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "queued" });

    w.clock.advance(7201_000);
    expect(await processPurgeRecords([sqsRecord(message(0, urls(1), { notBefore }), 2, "m-early")], w.deps)).toEqual({
      batchItemFailures: [],
    });
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done" });
  });

  it("retries later when the credential cannot be read, without echoing the secret", async () => {
    w = await world();
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({
      SecretString: secretString(w.sandbox, NEW_CLIENT, { note: NEW_CLIENT.clientSecret }),
    });
    await createJob(w, [urls(1)]);
    const record = sqsRecord(message(0, urls(1)));
    expect((await processPurgeRecords([record], w.deps)).batchItemFailures).toHaveLength(1);
    expect(visibilityCalls()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 60 }]);
    const batch = w.table.item(JOB_ID, "batch#0")!;
    expect(batch).toMatchObject({ status: "retrying", retryAfterSeconds: 60 });
    expect(JSON.stringify(batch)).toContain("unknown key(s) note");
    expect(JSON.stringify(batch)).not.toContain(NEW_CLIENT.clientSecret);
    expect(w.logger.text()).not.toContain(NEW_CLIENT.clientSecret);
    expect(w.sandbox.state.requests).toEqual([]);
  });

  it("never signs for a host outside akamaiapis.net: the batch waits for a fixed secret", async () => {
    w = await world();
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...JSON.parse(secretString(w.sandbox, NEW_CLIENT)), host: "https://purge.example.com" }),
    });
    await createJob(w, [urls(1)]);
    expect((await processPurgeRecords([sqsRecord(message(0, urls(1)))], w.deps)).batchItemFailures).toHaveLength(1);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "retrying", retryAfterSeconds: 60 });
    expect(JSON.stringify(w.table.item(JOB_ID, "batch#0"))).toContain("EdgeGridHostError");
    expect(w.sandbox.state.requests).toEqual([]);
  });

  it("sends an unreadable message to the DLQ and records it on the batch when it names one", async () => {
    w = await world();
    await createJob(w, [urls(1)]);
    const garbage = sqsRecord("not json", 1, "m-garbage");
    const badObjects = sqsRecord({ ...message(0, []), objects: [] }, 1, "m-empty");
    expect(await processPurgeRecords([garbage, badObjects], w.deps)).toEqual({ batchItemFailures: [] });
    expect(deadLettered()).toEqual([
      { body: "not json", reason: "invalid message: message body is not JSON" },
      { body: badObjects.body, reason: expect.stringMatching(/^invalid message: objects: /) },
    ]);
    expect(w.table.item(JOB_ID, "batch#0")).toMatchObject({ status: "failed", error: { reason: "invalid message" } });
  });

  it("waits for a job purge-api has queued but not yet recorded, and drops it once it clearly never will be", async () => {
    w = await world();
    // Batch items written, job item not yet (purge-api writes it last): not purged yet.
    await createJob(w, [urls(1)]);
    w.table.items.delete([...w.table.items.keys()].find((k) => k.endsWith("\u0000job"))!);
    const early = sqsRecord(message(0, urls(1)), 1, "m-early");
    expect(await processPurgeRecords([early], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-early" }] });
    expect(visibilityCalls()).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: early.receiptHandle, VisibilityTimeout: UNRECORDED_RETRY_SECONDS },
    ]);
    expect(w.sandbox.state.requests).toEqual([]);

    // No batch item at all, and sent longer ago than purge-api could still be answering: dropped, not purged.
    const orphan = sqsRecord(message(4, urls(1)), 1, "m-orphan");
    expect(await processPurgeRecords([orphan], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-orphan" }] });
    w.clock.advance(RECORD_GRACE_MS);
    expect(await processPurgeRecords([sqsRecord(message(4, urls(1)), 2, "m-orphan")], w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.sandbox.state.requests).toEqual([]);
    expect(w.logger.entries.some((e) => e.message.startsWith("purge message for a job that was never recorded"))).toBe(true);
    expect(deadLettered()).toEqual([]);
  });

  it("hands back messages it has no time for", async () => {
    w = await world();
    await createJob(w, [urls(1)]);
    const late = sqsRecord(message(0, urls(1)), 1, "m-late");
    expect(await processPurgeRecords([late], w.deps, () => 10_000)).toEqual({
      batchItemFailures: [{ itemIdentifier: "m-late" }],
    });
    expect(visibilityCalls().map((c) => c.VisibilityTimeout)).toEqual([0]);
    expect(w.sandbox.state.requests).toEqual([]);
  });

  it("reports the message when DynamoDB fails, so SQS delivers it again", async () => {
    w = await world();
    await createJob(w, [urls(1)]);
    w.table.mock.rejects(new Error("ProvisionedThroughputExceededException"));
    const record = sqsRecord(message(0, urls(1)), 1, "m-ddb");
    expect(await processPurgeRecords([record], w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-ddb" }] });
  });
});
