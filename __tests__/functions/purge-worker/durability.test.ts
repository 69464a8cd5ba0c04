/**
 * No purge job lost (issue 9, item 6), through the deployed handlers: purge-api records and queues a job,
 * the purge-worker drains the queue as Lambda's SQS event source would, against the sandbox's Fast Purge
 * (its account-wide buckets start full). SQS is the simulator in __tests__/helpers (receive counts,
 * visibility, DelaySeconds, redrive to the DLQ after maxReceiveCount); DynamoDB is the fake jobs table;
 * time is a fake clock (only Date is faked, so the sandbox still answers over loopback).
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ENV } from "../../../core/environment-names";
import { PURGE_MAX_ATTEMPTS } from "../../../core/jobs/queue-settings";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { purgedObjects } from "../../../sandbox/state";
import { FakeJobsTable, NEW_CLIENT, TABLE, captureProcessOutput, secretString } from "../../core/jobs/helpers";
import { SqsSimulator, fakeDateClock } from "../../helpers/sqs-simulator";
import { PURGE_DLQ, PURGE_QUEUE, purgeApiEvent, purgeQueues } from "../../helpers/purge-api-event";

type ApiHandler = typeof import("../../../functions/purge-api/index").handler;
type WorkerHandler = typeof import("../../../functions/purge-worker/index").handler;

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
/** The prod example's policy (config/environments/prod.ts). */
const PROD_POLICY = {
  allowedHostnames: ["www.example.com"],
  allowedNetworks: ["staging", "production"],
  defaultAction: "invalidate",
  maxObjectsPerRequest: 50_000,
  maxRequestBytes: 4_000_000,
};

const post = (body: unknown) => purgeApiEvent("POST /purge", { body });
const get = (jobId: string) => purgeApiEvent("GET /purge/{jobId}", { jobId });

/** `count` distinct URLs of exactly `length` characters on www.example.com. */
function urls(count: number, length: number, folder = "p"): string[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `https://www.example.com/${folder}/${String(i).padStart(6, "0")}/`;
    return `${head}${"a".repeat(Math.max(0, length - head.length - 5))}.html`;
  });
}

describe("no purge job lost: purge-api → SQS → purge-worker → Fast Purge", () => {
  const sm = mockClient(SecretsManagerClient);
  let clock: ReturnType<typeof fakeDateClock>;
  let sqs: SqsSimulator;
  let table: FakeJobsTable;
  let sandbox: Sandbox;
  let api: ApiHandler;
  let worker: WorkerHandler;
  let savedEnv: NodeJS.ProcessEnv;

  const runWorker = (event: SQSEvent): Promise<SQSBatchResponse> => worker(event, { getRemainingTimeInMillis: () => 120_000 });

  const QUEUE = PURGE_QUEUE;
  const DLQ = PURGE_DLQ;
  const simulatedQueues = purgeQueues;

  beforeAll(() => {
    savedEnv = { ...process.env };
    clock = fakeDateClock();
    const names = new SqsSimulator(clock, simulatedQueues());
    names.restore();
    Object.assign(process.env, {
      [ENV.jobsTable]: TABLE,
      [ENV.purgeQueueUrl]: names.urlOf(QUEUE),
      [ENV.purgeDeadLetterQueueUrl]: names.urlOf(DLQ),
      [ENV.edgegridSecretArn]: SECRET_ARN,
      [ENV.environmentName]: "prod",
      [ENV.serviceName]: "purge",
      [ENV.metricsNamespace]: "edgeplane",
      [ENV.purgePolicy]: JSON.stringify(PROD_POLICY),
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_REGION: "eu-west-1",
    });
    // Required after the environment and the clock are set: the modules read them at load.
    api = (require("../../../functions/purge-api/index") as { handler: ApiHandler }).handler;
    worker = (require("../../../functions/purge-worker/index") as { handler: WorkerHandler }).handler;
  });
  beforeEach(async () => {
    // The functions' containers live on from test to test, as warm Lambdas do; three idle hours refill
    // every bucket (theirs and the sandbox's, which starts full).
    clock.advance(3 * 3600_000);
    sqs = new SqsSimulator(clock, simulatedQueues());
    table = new FakeJobsTable();
    sandbox = await startSandbox({ clients: [NEW_CLIENT] });
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    captureProcessOutput([]);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    sqs.restore();
    table.restore();
    await sandbox.close();
  });
  afterAll(() => {
    sm.restore();
    jest.useRealTimers();
    process.env = savedEnv;
  });

  async function submit(body: unknown): Promise<{ jobId: string; batches: number }> {
    const answer = await api(post(body));
    expect(answer.statusCode).toBe(202);
    return JSON.parse(String(answer.body)) as { jobId: string; batches: number };
  }

  async function jobStatus(jobId: string): Promise<Record<string, any>> {
    const answer = await api(get(jobId));
    expect(answer.statusCode).toBe(200);
    return JSON.parse(String(answer.body)) as Record<string, any>;
  }

  /**
   * Waiting is planned, not discovered: each message is received about once per SQS limit it must wait
   * past (15-minute delays, a rounding second), never once per rate-limit refill.
   */
  function expectFewReceives(): void {
    expect(sqs.stats.redriven).toBe(0);
    expect(sqs.stats.mostReceives).toBeLessThanOrEqual(3);
  }

  function expectEachPurgedOnce(type: "url" | "tag", objects: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const object of purgedObjects(sandbox.state, { type }))
      counts.set(String(object), (counts.get(String(object)) ?? 0) + 1);
    const missing = objects.filter((o) => counts.get(o) === undefined);
    const twice = objects.filter((o) => (counts.get(o) ?? 0) > 1);
    expect({ missing: missing.length, twice: twice.length, purged: counts.size }).toEqual({
      missing: 0,
      twice: 0,
      purged: objects.length,
    });
  }

  it("a 30,000-URL job of 100-byte URLs under a full bucket ends done, every URL purged once, nothing in the DLQ", async () => {
    const objects = urls(30_000, 100);
    const started = clock.now();
    const { jobId, batches } = await submit({ type: "url", objects, network: "production" });
    expect(batches).toBeGreaterThan(50);

    const run = await sqs.run(QUEUE, runWorker);

    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expectFewReceives();
    expectEachPurgedOnce("url", objects);
    const job = await jobStatus(jobId);
    expect(job.status).toBe("done");
    expect(job.batches.every((b: { status: string }) => b.status === "done")).toBe(true);
    // Paced by the URL bucket (10,000 burst, 200/s): the rest cannot have gone faster than the refill.
    expect(clock.now() - started).toBeGreaterThanOrEqual(((30_000 - 10_000) / 200) * 1000 * 0.95);
  });

  it("the policy's largest URL job (50,000 URLs) completes with nothing in the DLQ", async () => {
    const objects = urls(50_000, 76);
    const { jobId } = await submit({ type: "url", objects, network: "production" });
    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expectFewReceives();
    expectEachPurgedOnce("url", objects);
    expect((await jobStatus(jobId)).status).toBe("done");
  });

  it("50,000 tags (about 100 minutes of the tag bucket) complete with nothing in the DLQ", async () => {
    const objects = Array.from({ length: 50_000 }, (_, i) => `tag-${String(i).padStart(5, "0")}`);
    const started = clock.now();
    const { jobId } = await submit({ type: "tag", objects, network: "production" });
    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expectFewReceives();
    expectEachPurgedOnce("tag", objects);
    expect((await jobStatus(jobId)).status).toBe("done");
    expect(clock.now() - started).toBeGreaterThanOrEqual(((50_000 - 5_000) / 500) * 60_000 * 0.95);
  });

  it("three 50,000-URL jobs sent together all complete: each job's plan starts where the previous left the buckets", async () => {
    const jobs = ["a", "b", "c"].map((folder) => urls(50_000, 76, folder));
    const started = clock.now();
    const ids: string[] = [];
    for (const objects of jobs) ids.push((await submit({ type: "url", objects, network: "production" })).jobId);
    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expectFewReceives();
    expectEachPurgedOnce("url", jobs.flat());
    for (const jobId of ids) expect((await jobStatus(jobId)).status).toBe("done");
    // 150,000 URLs: the last ones cannot go before 140,000 beyond the burst have refilled (11.7 minutes).
    expect(clock.now() - started).toBeGreaterThanOrEqual(((150_000 - 10_000) / 200) * 1000);
  });

  it("real failures do use the retry budget: a Fast Purge answering 500 sends each batch to the DLQ after its attempts", async () => {
    sandbox.setFaults([{ pathPrefix: "/ccu/", status: 500, times: 1_000 }]);
    const objects = urls(1_500, 60);
    const { jobId, batches } = await submit({ type: "url", objects, network: "production" });
    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(batches);
    expect(sqs.stats.redriven).toBe(0); // moved by the worker, with the job saying why
    expect(sandbox.state.requests.filter((r) => r.status === 500)).toHaveLength(batches * PURGE_MAX_ATTEMPTS);
    const job = await jobStatus(jobId);
    expect(job.status).toBe("failed");
    // GET /purge/{jobId} names failures with the shared codes (core/purge/failure-reasons.ts).
    for (const batch of job.batches) expect(batch.error).toMatchObject({ reason: "retriesExhausted", status: 500 });
  });

  it("a job whose purge-api stopped right after recording it still reaches SQS and completes", async () => {
    // purge-api stops (timeout, crash) the moment the job item is written: nothing it does after happens.
    table.afterPut = (item) => {
      if (item.item !== "job") return;
      table.frozen = true;
      sqs.frozen = true;
    };
    const objects = urls(3_000, 60);
    const stopped = api(post({ type: "url", objects, network: "production" }));
    let recorded: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 10_000 && recorded.length === 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      recorded = table.itemsNamed("job");
    }
    expect(recorded).toHaveLength(1);
    const jobId = String(recorded[0]!.jobId);
    // The stopped invocation's calls never return; the worker and later API calls are other Lambdas.
    table.frozen = false;
    sqs.frozen = false;
    void stopped;

    clock.advance(10 * 60_000);
    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expectFewReceives();
    expectEachPurgedOnce("url", objects);
    expect((await jobStatus(jobId)).status).toBe("done");
  });
});
