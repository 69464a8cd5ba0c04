/**
 * Test doubles for the purge jobs code:
 * - FakeJobsTable: an in-memory jobs table behind aws-sdk-client-mock's DynamoDBDocumentClient stub. It
 *   evaluates the small expression grammar the JobStore uses (SET/REMOVE/ADD; AND of attribute_exists,
 *   attribute_not_exists, =, <>), so conditional writes behave as DynamoDB's would. It needs no jest
 *   globals, so bench/ uses it too.
 * - recordingLogger / recordingMetrics: keep what was logged and measured, for assertions.
 * - sandbox helpers: a sandbox on a hand-moved clock, clients and secret strings.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { PurgeMetrics } from "../../../core/observability";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../../sandbox/server";
import type { SandboxClient } from "../../../sandbox/state";
import type { FakeClock } from "../../helpers/fake-clock";

export { type FakeClock, fakeClock } from "../../helpers/fake-clock";

type Item = Record<string, unknown>;
type AnyInput = Record<string, any>;

export const TABLE = "edgeplane-test-purge-jobs";

export class FakeJobsTable {
  readonly items = new Map<string, Item>();
  /** Items each BatchWriteItem call leaves unprocessed, call by call (then none). */
  readonly unprocessedPlan: number[] = [];
  /** Query page size, to exercise pagination. */
  queryPageSize = 1000;
  readonly mock = mockClient(DynamoDBDocumentClient);
  /** When set, every call hangs: the calling Lambda has stopped. */
  frozen = false;
  /** Called after each PutItem is applied (e.g. to stop the caller right after it recorded a job). */
  afterPut: ((item: Item) => void) | undefined;

  constructor() {
    this.mock.on(PutCommand).callsFake((input: AnyInput) => this.gate(() => this.put(input)));
    this.mock.on(BatchWriteCommand).callsFake((input: AnyInput) => this.gate(() => this.batchWrite(input)));
    this.mock.on(GetCommand).callsFake((input: AnyInput) => this.gate(() => this.get(input)));
    this.mock.on(QueryCommand).callsFake((input: AnyInput) => this.gate(() => this.query(input)));
    this.mock.on(UpdateCommand).callsFake((input: AnyInput) => this.gate(() => this.update(input)));
  }

  private gate<T>(call: () => T): Promise<T> {
    if (this.frozen) return new Promise<T>(() => undefined);
    return Promise.resolve().then(call);
  }

  /** Every item of one sort-key value (e.g. "job"), for finding what was recorded. */
  itemsNamed(itemName: string): Item[] {
    return [...this.items.values()].filter((item) => item.item === itemName).map((item) => structuredClone(item));
  }

  /** A DocumentClient whose calls land in this table. */
  client(): DynamoDBDocumentClient {
    return DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  restore(): void {
    this.mock.restore();
  }

  item(jobId: string, item: string): Item | undefined {
    const found = this.items.get(key(jobId, item));
    return found === undefined ? undefined : structuredClone(found);
  }

  private put(input: AnyInput) {
    if (input.TableName !== TABLE) throw new Error(`PutItem on table ${input.TableName}; expected ${TABLE}`);
    const item = input.Item as Item;
    const existing = this.items.get(key(item.jobId, item.item));
    if (input.ConditionExpression !== undefined) this.check(input, existing);
    this.items.set(key(item.jobId, item.item), structuredClone(item));
    this.afterPut?.(structuredClone(item));
    return {};
  }

  private batchWrite(input: AnyInput) {
    const requests = input.RequestItems[TABLE] as Array<{ PutRequest: { Item: Item } }>;
    if (Object.keys(input.RequestItems).join() !== TABLE)
      throw new Error(`BatchWriteItem on ${Object.keys(input.RequestItems).join()}; expected ${TABLE}`);
    if (requests.length > 25) throw new Error(`BatchWriteItem with ${requests.length} items; the limit is 25`);
    const leave = Math.min(this.unprocessedPlan.shift() ?? 0, requests.length);
    const processed = requests.slice(0, requests.length - leave);
    for (const request of processed) {
      const item = request.PutRequest.Item;
      this.items.set(key(item.jobId, item.item), structuredClone(item));
    }
    const unprocessed = requests.slice(requests.length - leave);
    return { UnprocessedItems: unprocessed.length > 0 ? { [TABLE]: unprocessed } : {} };
  }

  private get(input: AnyInput) {
    const found = this.items.get(key(input.Key.jobId, input.Key.item));
    return found === undefined ? {} : { Item: structuredClone(found) };
  }

  private query(input: AnyInput) {
    if (input.KeyConditionExpression !== "jobId = :jobId")
      throw new Error(`the fake table does not understand ${input.KeyConditionExpression}`);
    const jobId = input.ExpressionAttributeValues[":jobId"];
    const all = [...this.items.values()]
      .filter((item) => item.jobId === jobId)
      .sort((a, b) => (String(a.item) < String(b.item) ? -1 : String(a.item) > String(b.item) ? 1 : 0));
    const start = input.ExclusiveStartKey ? all.findIndex((item) => item.item === input.ExclusiveStartKey.item) + 1 : 0;
    const page = all.slice(start, start + this.queryPageSize);
    const more = start + this.queryPageSize < all.length;
    const last = page[page.length - 1];
    return {
      Items: page.map((item) => structuredClone(item)),
      ...(more && last ? { LastEvaluatedKey: { jobId, item: last.item } } : {}),
    };
  }

  private update(input: AnyInput) {
    const k = key(input.Key.jobId, input.Key.item);
    const existing = this.items.get(k);
    this.check(input, existing);
    const item: Item = structuredClone(existing ?? { ...input.Key });
    const name = (token: string): string => (token.startsWith("#") ? input.ExpressionAttributeNames[token] : token);
    const value = (token: string): unknown => structuredClone(input.ExpressionAttributeValues[token]);
    const clauses = [...String(input.UpdateExpression).matchAll(/(SET|REMOVE|ADD)\s+(.*?)(?=\s+(?:SET|REMOVE|ADD)\s|$)/g)];
    for (const [, verb, body] of clauses) {
      for (const part of (body as string).split(",").map((p) => p.trim())) {
        if (verb === "SET") {
          const [left, right] = part.split("=").map((s) => s.trim()) as [string, string];
          item[name(left)] = value(right);
        } else if (verb === "REMOVE") {
          delete item[name(part)];
        } else {
          const [left, right] = part.split(/\s+/) as [string, string];
          item[name(left)] = Number(item[name(left)] ?? 0) + Number(value(right));
        }
      }
    }
    this.items.set(k, item);
    return {};
  }

  private check(input: AnyInput, existing: Item | undefined): void {
    const name = (token: string): string => (token.startsWith("#") ? input.ExpressionAttributeNames[token] : token);
    const ok = String(input.ConditionExpression)
      .split(/\s+AND\s+/)
      .every((term) => {
        let m = /^attribute_exists\((\S+)\)$/.exec(term);
        if (m) return existing !== undefined && existing[name(m[1] as string)] !== undefined;
        m = /^attribute_not_exists\((\S+)\)$/.exec(term);
        if (m) return existing === undefined || existing[name(m[1] as string)] === undefined;
        m = /^(\S+)\s*(=|<>)\s*(:\S+)$/.exec(term);
        if (m) {
          const actual = existing?.[name(m[1] as string)];
          const expected = input.ExpressionAttributeValues[m[3] as string];
          return m[2] === "=" ? actual === expected : actual !== expected;
        }
        throw new Error(`the fake table does not understand the condition ${term}`);
      });
    if (!ok) throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
  }
}

function key(jobId: unknown, item: unknown): string {
  return `${String(jobId)}\u0000${String(item)}`;
}

// ---------------------------------------------------------------------------------------------------

export { type LogEntry, recordingLogger } from "../../helpers/recording-logger";

export function recordingMetrics(): PurgeMetrics & { purged: number[]; throttles: number; latencies: number[] } {
  const recorded = {
    purged: [] as number[],
    throttles: 0,
    latencies: [] as number[],
    objectsPurged: (count: number) => void recorded.purged.push(count),
    throttled: () => void recorded.throttles++,
    latency: (ms: number) => void recorded.latencies.push(ms),
  };
  return recorded;
}

// ---------------------------------------------------------------------------------------------------

export const LOOPBACK_ENV = { EDGEPLANE_INSECURE_LOOPBACK: "1" };

/** The credential rotation just made current: the only one the sandbox knows. */
export const NEW_CLIENT: SandboxClient = {
  clientToken: "akab-new-client-token-0000000000",
  clientSecret: "bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ9PQ==",
  accessToken: "akab-shared-access-token-00000000",
};

/** The credential rotation retired (same API client, so the same access token). */
export const OLD_CLIENT: SandboxClient = {
  clientToken: "akab-old-client-token-1111111111",
  clientSecret: "b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ9PQ==",
  accessToken: NEW_CLIENT.accessToken,
};

export function secretString(sandbox: Sandbox, client: SandboxClient, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    host: sandbox.url,
    client_token: client.clientToken,
    client_secret: client.clientSecret,
    access_token: client.accessToken,
    ...extra,
  });
}

/** Strings that must never appear in logs, errors or metrics. */
export function secretsOf(...clients: SandboxClient[]): string[] {
  return clients.flatMap((c) => [c.clientSecret, c.accessToken, c.clientToken]).concat(["EG1-HMAC-SHA256", "signature="]);
}

export function startTestSandbox(clock: FakeClock, options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return startSandbox({ clients: [NEW_CLIENT], now: clock.now, ...options });
}

// ---------------------------------------------------------------------------------------------------

export const QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:edgeplane-test-purge";
export const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/edgeplane-test-purge";

let messageCounter = 0;

export function sqsRecord(body: unknown, receiveCount = 1, messageId = `msg-${++messageCounter}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}-${receiveCount}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: "1748779200000",
      SenderId: "AROAEXAMPLE:purge-api",
      ApproximateFirstReceiveTimestamp: "1748779200000",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "eu-west-1",
  };
}

/** Captures everything the code writes to stdout and stderr (Powertools logs and EMF metrics) into `into`. */
export function captureProcessOutput(into: string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      into.push(String(chunk));
      return true;
    });
  }
}
