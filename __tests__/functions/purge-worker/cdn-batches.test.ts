/**
 * The purge worker's non-Akamai batches, one message at a time (processPurgeRecords with the CDN deps the handler
 * builds: cdnConnections over the Fastly emulator): a rotated token is read again once, an unreadable token and a
 * 5xx use an attempt, a 429 waits without one, and a batch for a target the worker does not know fails, named.
 */
import type { CdnRuntimeTarget } from "../../../config/runtime-schema";
import { fanOutPurge } from "../../../core/jobs/fan-out";
import type { CdnBatchMessage } from "../../../core/jobs/message";
import { cdnConnections } from "../../../functions/aws/cdn-connections";
import { JobStore } from "../../../functions/aws/job-store";
import {
  CREDENTIAL_UNAVAILABLE_RETRY_SECONDS,
  processPurgeRecords,
  type PurgeWorkerDeps,
} from "../../../functions/purge-worker/process-records";
import { fastlyPurgedObjects, startFastlyEmulator, type FastlyEmulator } from "../../../sandbox/fastly";
import { FakeJobsTable, TABLE, fakeClock, recordingLogger, recordingMetrics, sqsRecord } from "../../core/jobs/helpers";

const JOB_ID = "7d3c2b1a-9f8e-4d7c-a6b5-4c3d2e1f0a9b";
const SERVICE = "SVCSANDBOX1";
const TARGET = `fastly:${SERVICE}`;
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/fastly-AbCdEf";
const targets: CdnRuntimeTarget[] = [
  { cdn: "akamai", hostnames: ["www.example.com"] },
  { cdn: "fastly", serviceId: SERVICE, hostnames: ["www.example.com"], tokenSecretArn: SECRET },
];

interface World {
  emulator: FastlyEmulator;
  store: JobStore;
  deps: PurgeWorkerDeps;
  /** What the handler builds from EDGEPLANE_CDNS (in deps unless withCdns is false). */
  cdnDeps: NonNullable<PurgeWorkerDeps["cdn"]>;
  visibility: Array<{ receipt: string; seconds: number }>;
  deadLetters: string[];
  tokenReads: string[];
  logger: ReturnType<typeof recordingLogger>;
}

let current: World | undefined;
afterEach(async () => {
  await current?.emulator.close();
  current = undefined;
});

/** `tokens`: what the secret holds at each read (the last one repeats); an Error is an unreadable secret. */
async function world(tokens: Array<string | Error>, options: { withCdns?: boolean } = {}): Promise<World> {
  const clock = fakeClock();
  const emulator = await startFastlyEmulator({
    services: [{ id: SERVICE, hosts: ["www.example.com"] }],
    tokens: [{ token: "new-token", scope: "purge_select", services: [SERVICE] }],
  });
  const table = new FakeJobsTable();
  const store = new JobStore({ client: table.client(), tableName: TABLE, now: clock.now });
  const logger = recordingLogger();
  const visibility: World["visibility"] = [];
  const deadLetters: string[] = [];
  const tokenReads: string[] = [];
  const connections = cdnConnections({
    readToken: async (arn) => {
      tokenReads.push(arn);
      const next = tokens.length > 1 ? tokens.shift() : tokens[0];
      if (next instanceof Error) throw next;
      return next as string;
    },
    env: { EDGEPLANE_FASTLY_API_URL: emulator.url, EDGEPLANE_INSECURE_LOOPBACK: "1" },
    now: clock.now,
  });
  const cdnDeps = {
    targets,
    connect: connections.connect,
    forget: connections.forget,
    now: clock.now,
    random: () => 0.5,
    logger,
  };
  const deps: PurgeWorkerDeps = {
    jobs: store,
    visibility: { change: async (_arn, receipt, seconds) => void visibility.push({ receipt, seconds }) },
    deadLetters: { send: async (body) => void deadLetters.push(body) },
    // Fast Purge is not reached by these messages.
    send: { now: clock.now } as unknown as PurgeWorkerDeps["send"],
    ...(options.withCdns === false ? {} : { cdn: cdnDeps }),
    logger,
    metrics: recordingMetrics(),
  };
  current = { emulator, store, deps, cdnDeps, visibility, deadLetters, tokenReads, logger };
  return current;
}

/** A one-batch job: tags to Fastly, recorded as purge-api records it. */
async function fastlyJob(w: World, tags: string[] = ["news", "sport"]): Promise<CdnBatchMessage> {
  const fanned = fanOutPurge({
    type: "tag",
    objects: tags,
    targets: targets.slice(1),
    jobId: JOB_ID,
    action: "invalidate",
    network: "staging",
  });
  const request = fanned.others[0]!.requests[0]!;
  await w.store.createJob({
    jobId: JOB_ID,
    type: "tag",
    action: "invalidate",
    network: "staging",
    requestedBy: "test",
    rejected: 0,
    duplicates: 0,
    targets: [TARGET],
    batches: [{ objects: request.objects.length, bodyBytes: 20, cdn: "fastly", target: TARGET }],
  });
  return { jobId: JOB_ID, batchIndex: 0, target: TARGET, request };
}

it("a token the CDN refuses is read again once: the rotated token purges, the batch records Fastly's id", async () => {
  const w = await world(["old-token", "new-token"]);
  const message = await fastlyJob(w);
  const result = await processPurgeRecords([sqsRecord(message)], w.deps);
  expect(result.batchItemFailures).toEqual([]);
  expect(w.tokenReads).toEqual([SECRET, SECRET]);
  const batch = await w.store.getBatch(JOB_ID, 0);
  expect(batch).toMatchObject({ status: "done", cdn: "fastly", target: TARGET, cdnId: expect.any(String) });
  expect(fastlyPurgedObjects(w.emulator.state, { kind: "key" }).sort()).toEqual(["news", "sport"]);
  // The token never reaches a log line.
  expect(JSON.stringify(w.logger.entries)).not.toContain("new-token");
  expect(JSON.stringify(w.logger.entries)).not.toContain("old-token");
});

it("a token refused twice fails the batch finally with credentialRejected", async () => {
  const w = await world(["old-token"]);
  const message = await fastlyJob(w);
  const result = await processPurgeRecords([sqsRecord(message)], w.deps);
  expect(result.batchItemFailures).toEqual([]);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({
    status: "failed",
    error: { reason: "credentialRejected", status: 401 },
  });
  expect(w.deadLetters).toEqual([]);
});

it("an unreadable token secret is a failed attempt: retrying, back after a minute", async () => {
  const w = await world([new Error("ResourceNotFoundException: the token secret has no value yet")]);
  const message = await fastlyJob(w);
  const result = await processPurgeRecords([sqsRecord(message)], w.deps);
  expect(result.batchItemFailures).toHaveLength(1);
  expect(w.visibility.map((v) => v.seconds)).toEqual([CREDENTIAL_UNAVAILABLE_RETRY_SECONDS]);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({ status: "retrying", attempts: 1 });
});

it("a 429 is a wait that keeps the retry budget; a 503 uses one attempt", async () => {
  const w = await world(["new-token"]);
  const message = await fastlyJob(w);
  w.emulator.setFaults([{ status: 429, retryAfterSeconds: 30 }]);
  expect((await processPurgeRecords([sqsRecord(message)], w.deps)).batchItemFailures).toHaveLength(1);
  const throttled = await w.store.getBatch(JOB_ID, 0);
  expect(throttled).toMatchObject({ status: "throttled" });
  expect(throttled?.attempts).toBeUndefined();
  expect(w.visibility[0]?.seconds).toBeGreaterThanOrEqual(30);

  w.emulator.setFaults([{ status: 503 }]);
  expect((await processPurgeRecords([sqsRecord(message, 2)], w.deps)).batchItemFailures).toHaveLength(1);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({ status: "retrying", attempts: 1, error: { status: 503 } });

  expect((await processPurgeRecords([sqsRecord(message, 3)], w.deps)).batchItemFailures).toEqual([]);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({ status: "done" });
});

it("a batch for a target the worker does not have fails, named, and waits in the DLQ instead of being retried for days", async () => {
  const w = await world(["new-token"], { withCdns: false });
  const message = await fastlyJob(w);
  expect((await processPurgeRecords([sqsRecord(message)], w.deps)).batchItemFailures).toEqual([]);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({ status: "failed", error: { reason: "unknownCdnTarget" } });
  // Kept in the DLQ: redriven once the worker has the target, it is sent (not ignored as a final failure).
  expect(w.deadLetters).toHaveLength(1);
  const redeployed = { ...w.deps, cdn: w.cdnDeps };
  expect((await processPurgeRecords([sqsRecord(w.deadLetters[0]!)], redeployed)).batchItemFailures).toEqual([]);
  expect(await w.store.getBatch(JOB_ID, 0)).toMatchObject({ status: "done" });

  await w.emulator.close();
  const other = await world(["new-token"]);
  const renamed = { ...(await fastlyJob(other)), target: "fastly:SOMEOTHER1" };
  expect((await processPurgeRecords([sqsRecord(renamed)], other.deps)).batchItemFailures).toEqual([]);
  const failed = await other.store.getBatch(JOB_ID, 0);
  expect(failed).toMatchObject({ status: "failed", error: { reason: "unknownCdnTarget" } });
  expect(failed?.error?.detail).toContain("fastly:SOMEOTHER1");
});
