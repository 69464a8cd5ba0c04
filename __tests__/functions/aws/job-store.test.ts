import { BatchWriteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { deriveJobStatus, type BatchStatus } from "../../../core/jobs/status";
import { JOB_TTL_SECONDS, type NewJob } from "../../../core/jobs/records";
import { planSendTimes, type PacingState } from "../../../core/jobs/schedule";
import { JobStore, JobStoreError } from "../../../functions/aws/job-store";
import { FakeJobsTable, TABLE } from "../../core/jobs/helpers";

const JOB_ID = "0b6f1a9e-3c2d-4e5f-8a7b-9c0d1e2f3a4b";
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function newJob(batchCount: number, jobId = JOB_ID): NewJob {
  return {
    jobId,
    type: "url",
    action: "invalidate",
    network: "staging",
    requestedBy: "arn:aws:sts::123456789012:assumed-role/ci-purge/github",
    rejected: 2,
    duplicates: 1,
    batches: Array.from({ length: batchCount }, (_, i) => ({ objects: 10 + i, bodyBytes: 1000 + i })),
  };
}

describe("deriveJobStatus", () => {
  const cases: Array<[BatchStatus[], string]> = [
    [["queued", "queued"], "queued"],
    [["throttled", "queued"], "in_progress"],
    [["retrying"], "in_progress"],
    [["done", "queued"], "in_progress"],
    [["failed", "throttled"], "in_progress"],
    [["done", "done"], "done"],
    [["failed", "failed"], "failed"],
    [["done", "failed", "done"], "partially_failed"],
  ];
  it.each(cases)("%j → %s", (statuses, expected) => {
    expect(deriveJobStatus(statuses)).toBe(expected);
  });

  it("counts batches that were never written as queued", () => {
    expect(deriveJobStatus(["done"], 2)).toBe("in_progress");
    expect(deriveJobStatus([], 1)).toBe("queued");
  });
});

describe("JobStore", () => {
  let table: FakeJobsTable;
  let sleeps: number[];
  let store: JobStore;
  beforeEach(() => {
    table = new FakeJobsTable();
    sleeps = [];
    store = new JobStore({
      client: table.client(),
      tableName: TABLE,
      now: () => NOW,
      sleep: async (ms) => void sleeps.push(ms),
    });
  });
  afterEach(() => table.restore());

  it("writes batch items in chunks of 25, then the job item last, all expiring after 7 days", async () => {
    const record = await store.createJob(newJob(60));
    const writes = table.mock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.length);
    expect(writes).toEqual([25, 25, 10]);
    expect(table.mock.commandCalls(PutCommand)).toHaveLength(1);
    // The job item is written after every batch item, with a condition so a job id is never reused.
    const put = table.mock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe("attribute_not_exists(jobId)");
    expect(table.mock.calls().at(-1)?.args[0]).toBeInstanceOf(PutCommand);

    const expiresAt = NOW / 1000 + JOB_TTL_SECONDS;
    expect(JOB_TTL_SECONDS).toBe(604_800);
    expect(table.item(JOB_ID, "job")).toEqual({
      jobId: JOB_ID,
      item: "job",
      createdAt: "2025-06-01T12:00:00.000Z",
      type: "url",
      action: "invalidate",
      network: "staging",
      objects: Array.from({ length: 60 }, (_, i) => 10 + i).reduce((a, b) => a + b, 0),
      batches: 60,
      rejected: 2,
      duplicates: 1,
      requestedBy: "arn:aws:sts::123456789012:assumed-role/ci-purge/github",
      expiresAt,
    });
    expect(table.item(JOB_ID, "batch#59")).toEqual({
      jobId: JOB_ID,
      item: "batch#59",
      index: 59,
      status: "queued",
      objects: 69,
      bodyBytes: 1059,
      updatedAt: "2025-06-01T12:00:00.000Z",
      expiresAt,
    });
    expect(record.batches).toBe(60);
  });

  it("retries UnprocessedItems with backoff until all are written", async () => {
    table.unprocessedPlan.push(7, 3);
    await store.createJob(newJob(25));
    const writes = table.mock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.length);
    expect(writes).toEqual([25, 7, 3]);
    expect(sleeps).toEqual([50, 100]);
    for (let i = 0; i < 25; i++) expect(table.item(JOB_ID, `batch#${i}`)?.status).toBe("queued");
  });

  it("gives up after the last attempt and never writes the job item", async () => {
    table.unprocessedPlan.push(...Array(20).fill(1));
    await expect(store.createJob(newJob(3))).rejects.toThrow(JobStoreError);
    await expect(store.createJob(newJob(3))).rejects.toThrow("left 1 job item(s) unprocessed after 8 BatchWriteItem attempts");
    expect(table.item(JOB_ID, "job")).toBeUndefined();
  });

  it("reads a job with its batches in index order across Query pages", async () => {
    await store.createJob(newJob(12));
    table.queryPageSize = 5;
    await store.markBatchDone(JOB_ID, 10, { purgeId: "edcp-10", estimatedSeconds: 5, supportId: "edsp-10" });
    const found = await store.getJob(JOB_ID);
    expect(found?.batches.map((b) => b.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(found?.batches[10]).toMatchObject({ status: "done", purgeId: "edcp-10", estimatedSeconds: 5, supportId: "edsp-10" });
    expect(found?.status).toBe("in_progress");
    expect(await store.getJob("5e1c7a3b-0000-4000-8000-000000000000")).toBeUndefined();
  });

  it("done is final: a redelivered result changes nothing and a later failure cannot overwrite it", async () => {
    await store.createJob(newJob(2));
    expect(await store.markBatchDone(JOB_ID, 0, { purgeId: "edcp-1", estimatedSeconds: 5, supportId: null })).toBe(true);
    expect(await store.markBatchDone(JOB_ID, 0, { purgeId: "edcp-2", estimatedSeconds: 5, supportId: null })).toBe(false);
    expect(await store.markBatchFailed(JOB_ID, 0, { reason: "rejected", status: 400, detail: "bad" })).toBe(false);
    expect(await store.markBatchWaiting(JOB_ID, 0, { status: "throttled", retryAfterSeconds: 5, httpStatus: 429 })).toBe(false);
    expect(table.item(JOB_ID, "batch#0")).toMatchObject({ status: "done", purgeId: "edcp-1" });
    expect(table.item(JOB_ID, "batch#0")?.error).toBeUndefined();

    const update = table.mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe("attribute_exists(#jobId) AND #status <> :done");
    expect(update.Key).toEqual({ jobId: JOB_ID, item: "batch#0" });
  });

  it("records waiting and failures, and a redriven batch can still end done", async () => {
    await store.createJob(newJob(2));
    await store.markBatchWaiting(JOB_ID, 1, {
      status: "throttled",
      retryAfterSeconds: 31,
      httpStatus: 429,
      detail: "429",
      receiveCount: 1,
    });
    await store.markBatchWaiting(JOB_ID, 1, { status: "throttled", retryAfterSeconds: 12, httpStatus: 429, receiveCount: 2 });
    expect(table.item(JOB_ID, "batch#1")).toMatchObject({
      status: "throttled",
      retryAfterSeconds: 12,
      throttled: 2,
      receiveCount: 2,
      error: { reason: "throttled", status: 429 },
    });
    await store.markBatchFailed(JOB_ID, 1, { reason: "retries exhausted", detail: "still throttled" }, 10);
    expect(table.item(JOB_ID, "batch#1")).toMatchObject({
      status: "failed",
      error: { reason: "retries exhausted", detail: "still throttled" },
    });
    expect(table.item(JOB_ID, "batch#1")?.retryAfterSeconds).toBeUndefined();
    expect((await store.getJob(JOB_ID))?.status).toBe("in_progress");

    await store.markBatchFailed(JOB_ID, 0, { reason: "rejected", status: 403, detail: "unauthorized arl", supportId: "edsp-x" });
    expect((await store.getJob(JOB_ID))?.status).toBe("failed");
    expect(await store.markBatchDone(JOB_ID, 1, { purgeId: "edcp-late", estimatedSeconds: 5, supportId: null })).toBe(true);
    expect((await store.getJob(JOB_ID))?.status).toBe("partially_failed");
  });

  it("keeps a batch's failed attempts: set by a real failure, left alone by rate-limit waits, read back", async () => {
    await store.createJob(newJob(1));
    await store.markBatchWaiting(JOB_ID, 0, { status: "retrying", retryAfterSeconds: 2, httpStatus: 503, attempts: 1 });
    await store.markBatchWaiting(JOB_ID, 0, { status: "throttled", retryAfterSeconds: 30, httpStatus: 429 });
    expect(await store.getBatch(JOB_ID, 0)).toMatchObject({ status: "throttled", attempts: 1, throttled: 1 });
    await store.markBatchFailed(JOB_ID, 0, { reason: "retries exhausted", status: 500 }, 4, 10);
    expect(await store.getBatch(JOB_ID, 0)).toMatchObject({ status: "failed", attempts: 10, receiveCount: 4 });
  });

  it("says whether a job is recorded: its item is written last, after every batch", async () => {
    expect(await store.hasJob(JOB_ID)).toBe(false);
    await store.createJob(newJob(30));
    expect(await store.hasJob(JOB_ID)).toBe(true);
    expect(await store.hasJob("0b6f1a9e-3c2d-4e5f-8a7b-000000000000")).toBe(false);
  });

  it("keeps the account's pacing state: each plan starts where the last left it, and a racing plan is redone", async () => {
    const plan =
      (type: "url" | "tag", counts: number[], at = NOW) =>
      (state: PacingState | undefined) =>
        planSendTimes(type, counts, at, state);
    const first = await store.reservePacing("tag", plan("tag", [5_000]));
    expect(first.sendAtMs).toEqual([NOW]);
    expect(table.item("pacing", "account")).toMatchObject({
      version: 1,
      tagFullAtMs: NOW + 600_000,
      expiresAt: (NOW + 600_000) / 1000 + 3600,
    });

    // Another purge-api plans between this one's read and write: the write is refused and the plan redone.
    let calls = 0;
    const racing = await store.reservePacing("tag", (state) => {
      calls++;
      if (calls === 1) {
        const stored = [...table.items.entries()].find(([key]) => key.startsWith("pacing"))![1];
        Object.assign(stored, { version: 2, tagFullAtMs: (stored.tagFullAtMs as number) + 60_000 });
      }
      return plan("tag", [100])(state);
    });
    expect(calls).toBe(2);
    expect(table.item("pacing", "account")?.version).toBe(3);
    // Planned against the other writer's state: 100 tags (plus the 500 in reserve) from a bucket full at 11 min.
    expect(racing.sendAtMs[0]! - NOW).toBe(660_000 - ((5_000 - 600) / 500) * 60_000);

    // Another object type has its own bucket (the request bucket is shared): it may go at once.
    expect((await store.reservePacing("url", plan("url", [10]))).sendAtMs).toEqual([NOW]);
    expect(table.item("pacing", "account")).toMatchObject({ version: 4, urlFullAtMs: NOW + 50 });
    expect(await store.getJob("pacing")).toBeUndefined();
  });

  it("does not create batch items that do not exist", async () => {
    expect(await store.markBatchDone(JOB_ID, 3, { purgeId: "x", estimatedSeconds: null, supportId: null })).toBe(false);
    expect(table.item(JOB_ID, "batch#3")).toBeUndefined();
  });
});
