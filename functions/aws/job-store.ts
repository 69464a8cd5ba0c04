/**
 * Purge jobs in DynamoDB (DocumentClient). Table: partition key `jobId`, sort key `item`:
 * - "job": what was asked (type, action, network, counts, who asked), written once;
 * - "batch#<n>": one per planned batch (n from 0), updated by the worker (or inline by the API).
 * Every item expires (`expiresAt`, epoch seconds) seven days after the job was created.
 *
 * Only these actions are used: PutItem, BatchWriteItem, GetItem, Query, UpdateItem (the roles in
 * constructs/aws/purge-service.ts; the worker uses GetItem and UpdateItem only).
 *
 * purge-api queues a job's messages before it records the job, and writes the job item last: a job item
 * that exists means every batch is queued and recorded (the worker checks it with `hasJob`).
 *
 * One more item, jobId "pacing" / item "account" (not a job id, so GET /purge never shows it), holds when
 * each of the account's Fast Purge buckets is full again once every planned batch has gone, with a
 * version for conditional writes; it expires an hour after the last planned send.
 *
 * Updates are conditional: a batch that is `done` never changes again, so a redelivered SQS message
 * cannot count a batch twice or overwrite a result with a later failure.
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  JOB_ITEM,
  JOB_TTL_SECONDS,
  batchItemKey,
  type BatchError,
  type BatchRecord,
  type CdnDoneResult,
  type DoneResult,
  type JobRecord,
  type JobStorePort,
  type JobWithBatches,
  type NewJob,
  type WaitingUpdate,
} from "../../core/jobs/records";
import type { PacingState, SendPlan } from "../../core/jobs/schedule";
import type { PurgeAction, PurgeNetwork, PurgeType } from "../../core/purge/objects";
import { BATCH_STATUSES, deriveJobStatus, type BatchStatus } from "../../core/jobs/status";
import type { PurgeApiType } from "../../core/jobs/purge-api-contract";
import { CDN_NAMES, type CdnName } from "../../core/cdn/types";

export const PACING_KEY = { jobId: "pacing", item: "account" } as const;
const PACING_ATTEMPTS = 5;

/** BatchWriteItem takes at most 25 items per call. */
const BATCH_WRITE_LIMIT = 25;
const DEFAULT_BATCH_WRITE_ATTEMPTS = 8;

export class JobStoreError extends Error {
  override name = "JobStoreError";
}

export interface JobStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** For retrying UnprocessedItems; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  maxBatchWriteAttempts?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class JobStore implements JobStorePort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxBatchWriteAttempts: number;

  constructor(options: JobStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.maxBatchWriteAttempts = options.maxBatchWriteAttempts ?? DEFAULT_BATCH_WRITE_ATTEMPTS;
  }

  /**
   * Writes the batch items first and the job item last, so a job that can be read always has all its
   * batches. Throws if any item could not be written.
   */
  async createJob(job: NewJob): Promise<JobRecord> {
    const nowMs = this.now();
    const createdAt = new Date(nowMs).toISOString();
    const expiresAt = Math.floor(nowMs / 1000) + JOB_TTL_SECONDS;
    const batchItems = job.batches.map((batch, index) => ({
      jobId: job.jobId,
      item: batchItemKey(index),
      index,
      status: "queued" satisfies BatchStatus,
      objects: batch.objects,
      bodyBytes: batch.bodyBytes,
      ...(batch.cdn !== undefined ? { cdn: batch.cdn } : {}),
      ...(batch.target !== undefined ? { target: batch.target } : {}),
      ...(batch.substitution !== undefined ? { substitution: batch.substitution } : {}),
      updatedAt: createdAt,
      expiresAt,
    }));
    for (let start = 0; start < batchItems.length; start += BATCH_WRITE_LIMIT) {
      await this.batchWrite(batchItems.slice(start, start + BATCH_WRITE_LIMIT));
    }
    const record: JobRecord = {
      jobId: job.jobId,
      createdAt,
      type: job.type,
      action: job.action,
      network: job.network,
      objects: job.batches.reduce((sum, batch) => sum + batch.objects, 0),
      batches: job.batches.length,
      rejected: job.rejected,
      duplicates: job.duplicates,
      requestedBy: job.requestedBy,
      ...(job.targets !== undefined ? { targets: job.targets } : {}),
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...record, item: JOB_ITEM, expiresAt },
        ConditionExpression: "attribute_not_exists(jobId)",
      }),
    );
    return record;
  }

  private async batchWrite(items: Record<string, unknown>[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > 1) {
        if (attempt > this.maxBatchWriteAttempts) {
          throw new JobStoreError(
            `DynamoDB left ${requests.length} job item(s) unprocessed after ${this.maxBatchWriteAttempts} BatchWriteItem attempts`,
          );
        }
        // Capped exponential backoff, as AWS advises for UnprocessedItems.
        await this.sleep(Math.min(50 * 2 ** (attempt - 2), 2_000));
      }
      const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
      const unprocessed = answer.UnprocessedItems?.[this.tableName] ?? [];
      requests = unprocessed.flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
    }
  }

  /** The job and its batches (sorted by index) with the derived status; undefined when there is no such job. */
  async getJob(jobId: string): Promise<JobWithBatches | undefined> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "jobId = :jobId",
          ExpressionAttributeValues: { ":jobId": jobId },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    const jobItem = items.find((item) => item.item === JOB_ITEM);
    if (jobItem === undefined) return undefined;
    const job = toJobRecord(jobItem);
    const batches = items
      .filter((item) => typeof item.item === "string" && item.item.startsWith("batch#"))
      .map(toBatchRecord)
      .sort((a, b) => a.index - b.index);
    return {
      job,
      batches,
      status: deriveJobStatus(
        batches.map((b) => b.status),
        job.batches,
      ),
    };
  }

  async getBatch(jobId: string, index: number): Promise<BatchRecord | undefined> {
    const answer = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { jobId, item: batchItemKey(index) }, ConsistentRead: true }),
    );
    return answer.Item === undefined ? undefined : toBatchRecord(answer.Item);
  }

  async reservePacing(type: PurgeType, plan: (state: PacingState | undefined) => SendPlan): Promise<SendPlan> {
    for (let attempt = 1; attempt <= PACING_ATTEMPTS; attempt++) {
      const current = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: PACING_KEY, ConsistentRead: true }),
      );
      const item = current.Item;
      const version = typeof item?.version === "number" ? item.version : 0;
      const requestsFullAtMs = item?.requestsFullAtMs;
      const objectsFullAtMs = item?.[`${type}FullAtMs`];
      const state =
        typeof requestsFullAtMs === "number" && typeof objectsFullAtMs === "number"
          ? { requestsFullAtMs, objectsFullAtMs }
          : undefined;
      const planned = plan(state);
      const latest = Math.max(
        planned.after.requestsFullAtMs,
        planned.after.objectsFullAtMs,
        ...(["url", "cpcode", "tag"] as const).map((t) =>
          typeof item?.[`${t}FullAtMs`] === "number" ? (item[`${t}FullAtMs`] as number) : 0,
        ),
      );
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...(item ?? {}),
              ...PACING_KEY,
              requestsFullAtMs: planned.after.requestsFullAtMs,
              [`${type}FullAtMs`]: planned.after.objectsFullAtMs,
              version: version + 1,
              expiresAt: Math.ceil(latest / 1000) + 3600,
            },
            ConditionExpression: item === undefined ? "attribute_not_exists(#jobId)" : "#version = :version",
            ExpressionAttributeNames: item === undefined ? { "#jobId": "jobId" } : { "#version": "version" },
            ...(item === undefined ? {} : { ExpressionAttributeValues: { ":version": version } }),
          }),
        );
        return planned;
      } catch (error) {
        if (!(error instanceof Error && error.name === "ConditionalCheckFailedException")) throw error;
      }
    }
    throw new JobStoreError(`the pacing state changed under ${PACING_ATTEMPTS} attempts in a row to plan a job`);
  }

  async hasJob(jobId: string): Promise<boolean> {
    const answer = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { jobId, item: JOB_ITEM },
        ConsistentRead: true,
        ProjectionExpression: "jobId",
      }),
    );
    return answer.Item !== undefined;
  }

  /** Records Akamai's (or another CDN's) acceptance. Returns false when the batch was already done (nothing changed). */
  markBatchDone(jobId: string, index: number, result: DoneResult | CdnDoneResult): Promise<boolean> {
    if ("cdnId" in result) {
      return this.update(jobId, index, { set: { status: "done", cdnId: result.cdnId }, remove: ["error", "retryAfterSeconds"] });
    }
    return this.update(jobId, index, {
      set: {
        status: "done",
        purgeId: result.purgeId,
        estimatedSeconds: result.estimatedSeconds,
        supportId: result.supportId,
      },
      remove: ["error", "retryAfterSeconds"],
    });
  }

  /** Records a final failure. Returns false when the batch is already done (a done batch stays done). */
  markBatchFailed(jobId: string, index: number, error: BatchError, receiveCount?: number, attempts?: number): Promise<boolean> {
    const recorded: BatchError = { reason: error.reason };
    if (error.status !== undefined) recorded.status = error.status;
    if (error.detail !== undefined) recorded.detail = error.detail;
    if (error.supportId !== undefined) recorded.supportId = error.supportId;
    return this.update(jobId, index, {
      set: {
        status: "failed",
        error: recorded,
        ...(receiveCount !== undefined ? { receiveCount } : {}),
        ...(attempts !== undefined ? { attempts } : {}),
      },
      remove: ["retryAfterSeconds"],
    });
  }

  /** Records that the batch waits for another try (429, rate-limit model, 5xx or network error). */
  markBatchWaiting(jobId: string, index: number, update: WaitingUpdate): Promise<boolean> {
    const error: BatchError = { reason: update.status === "throttled" ? "throttled" : "retrying" };
    if (update.httpStatus !== undefined) error.status = update.httpStatus;
    if (update.detail !== undefined) error.detail = update.detail;
    return this.update(jobId, index, {
      set: {
        status: update.status,
        retryAfterSeconds: update.retryAfterSeconds,
        error,
        ...(update.receiveCount !== undefined ? { receiveCount: update.receiveCount } : {}),
        ...(update.attempts !== undefined ? { attempts: update.attempts } : {}),
      },
      remove: [],
      add: update.httpStatus === 429 ? { throttled: 1 } : {},
    });
  }

  /**
   * SET/REMOVE/ADD on one batch item, only if the item exists and is not done. Every attribute name
   * goes through ExpressionAttributeNames (`status` and others are reserved words).
   */
  private async update(
    jobId: string,
    index: number,
    change: { set: Record<string, unknown>; remove: string[]; add?: Record<string, number> },
  ): Promise<boolean> {
    const names: Record<string, string> = { "#jobId": "jobId", "#status": "status" };
    const values: Record<string, unknown> = { ":done": "done" };
    const set = { ...change.set, updatedAt: new Date(this.now()).toISOString() };
    const setParts = Object.entries(set).map(([name, value]) => {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      return `#${name} = :${name}`;
    });
    const removeParts = change.remove.map((name) => {
      names[`#${name}`] = name;
      return `#${name}`;
    });
    const addParts = Object.entries(change.add ?? {}).map(([name, value]) => {
      names[`#${name}`] = name;
      values[`:add_${name}`] = value;
      return `#${name} :add_${name}`;
    });
    const expression = [
      `SET ${setParts.join(", ")}`,
      removeParts.length > 0 ? `REMOVE ${removeParts.join(", ")}` : "",
      addParts.length > 0 ? `ADD ${addParts.join(", ")}` : "",
    ]
      .filter((part) => part !== "")
      .join(" ");
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { jobId, item: batchItemKey(index) },
          UpdateExpression: expression,
          ConditionExpression: "attribute_exists(#jobId) AND #status <> :done",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }
}

function toJobRecord(item: Record<string, unknown>): JobRecord {
  return {
    jobId: String(item.jobId),
    createdAt: String(item.createdAt),
    type: item.type as PurgeApiType,
    action: item.action as PurgeAction,
    network: item.network as PurgeNetwork,
    objects: Number(item.objects ?? 0),
    batches: Number(item.batches ?? 0),
    rejected: Number(item.rejected ?? 0),
    duplicates: Number(item.duplicates ?? 0),
    requestedBy: String(item.requestedBy ?? "unknown"),
    ...(Array.isArray(item.targets) ? { targets: item.targets.map(String) } : {}),
  };
}

function toBatchRecord(item: Record<string, unknown>): BatchRecord {
  const status = (BATCH_STATUSES as readonly unknown[]).includes(item.status) ? (item.status as BatchStatus) : "queued";
  const record: BatchRecord = {
    jobId: String(item.jobId),
    index: Number(item.index ?? String(item.item).slice("batch#".length)),
    status,
    objects: Number(item.objects ?? 0),
    bodyBytes: Number(item.bodyBytes ?? 0),
    updatedAt: String(item.updatedAt ?? ""),
  };
  if (typeof item.purgeId === "string") record.purgeId = item.purgeId;
  if (typeof item.estimatedSeconds === "number" || item.estimatedSeconds === null)
    record.estimatedSeconds = item.estimatedSeconds;
  if (typeof item.supportId === "string" || item.supportId === null) record.supportId = item.supportId;
  if (typeof item.error === "object" && item.error !== null) record.error = item.error as BatchError;
  if (typeof item.throttled === "number") record.throttled = item.throttled;
  if (typeof item.retryAfterSeconds === "number") record.retryAfterSeconds = item.retryAfterSeconds;
  if (typeof item.receiveCount === "number") record.receiveCount = item.receiveCount;
  if (typeof item.attempts === "number") record.attempts = item.attempts;
  if (typeof item.cdn === "string" && (CDN_NAMES as readonly string[]).includes(item.cdn)) record.cdn = item.cdn as CdnName;
  if (typeof item.target === "string") record.target = item.target;
  if (typeof item.cdnId === "string" || item.cdnId === null) record.cdnId = item.cdnId;
  if (typeof item.substitution === "string") record.substitution = item.substitution;
  return record;
}
