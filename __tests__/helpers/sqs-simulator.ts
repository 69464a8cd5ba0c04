/**
 * An SQS standard queue (with its redrive DLQ) and a Lambda SQS event source, simulated on a fake clock:
 * the one copy of this test double. It answers the SQS client calls the code makes (through
 * aws-sdk-client-mock: SendMessage with DelaySeconds, ChangeMessageVisibility, DeleteMessage) and plays
 * Lambda's poller: receive up to `batchSize` visible messages, invoke the handler, delete the ones it did
 * not report in batchItemFailures (all stay when it throws).
 *
 * Semantics kept, as SQS documents them:
 * - a message is invisible until its DelaySeconds (≤ 900) has passed;
 * - each receive increments ApproximateReceiveCount, hides the message for the queue's visibility timeout
 *   and gives a new receipt handle; ChangeMessageVisibility (0..43,200 s, counted from now) needs the
 *   latest handle; a message is never visible again more than 12 h after its latest receive;
 * - with a redrive policy, a message whose receive count has reached maxReceiveCount is moved to the DLQ
 *   when it would next be received (so it is received at most maxReceiveCount times);
 * - messages expire after the queue's retention period (counted from the first enqueue).
 * Nothing sleeps: `run` advances the clock to the next visible message when none is visible.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";

export interface SimulatedClock {
  now(): number;
  /** Moves the clock to `ms` (epoch ms; never backwards). */
  setTo(ms: number): void;
}

export interface QueueSpec {
  name: string;
  region?: string;
  account?: string;
  visibilityTimeoutSeconds?: number;
  retentionSeconds?: number;
  /** With maxReceiveCount: where SQS moves a message received that many times. */
  deadLetterQueue?: string;
  maxReceiveCount?: number;
}

export interface SimulatedMessage {
  messageId: string;
  body: string;
  sentAtMs: number;
  visibleAtMs: number;
  receiveCount: number;
  firstReceiveAtMs?: number;
  lastReceiveAtMs?: number;
  receiptHandle?: string;
}

interface Queue {
  spec: Required<Pick<QueueSpec, "name" | "visibilityTimeoutSeconds" | "retentionSeconds">> & QueueSpec;
  arn: string;
  url: string;
  messages: SimulatedMessage[];
  /** Messages moved here by redrive, with when. */
}

const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;

export class SqsSimulator {
  private readonly queues = new Map<string, Queue>();
  private readonly mock = mockClient(SQSClient);
  private counter = 0;
  /** When set, every SQS call hangs (the calling Lambda has stopped). */
  frozen = false;
  /** Receives and redrives, for assertions and figures. */
  readonly stats = { receives: 0, redriven: 0, sent: 0, visibilityChanges: 0, mostReceives: 0 };

  /** Seeded, so a run is repeatable: the order a standard queue hands out visible messages is not FIFO. */
  private seed: number;

  constructor(
    private readonly clock: SimulatedClock,
    specs: QueueSpec[],
    options: { seed?: number } = {},
  ) {
    this.seed = options.seed ?? 1;
    for (const spec of specs) {
      const region = spec.region ?? "eu-west-1";
      const account = spec.account ?? "123456789012";
      const queue: Queue = {
        spec: { visibilityTimeoutSeconds: 30, retentionSeconds: 4 * 24 * 3600, ...spec },
        arn: `arn:aws:sqs:${region}:${account}:${spec.name}`,
        url: `https://sqs.${region}.amazonaws.com/${account}/${spec.name}`,
        messages: [],
      };
      this.queues.set(spec.name, queue);
    }
    for (const queue of this.queues.values()) {
      const dlq = queue.spec.deadLetterQueue;
      if (dlq !== undefined && !this.queues.has(dlq)) throw new Error(`dead-letter queue ${dlq} is not simulated`);
    }
    this.mock.on(SendMessageCommand).callsFake((input) => this.gate(() => this.send(input)));
    this.mock.on(ChangeMessageVisibilityCommand).callsFake((input) => this.gate(() => this.changeVisibility(input)));
    this.mock.on(DeleteMessageCommand).callsFake((input) => this.gate(() => this.delete(input)));
  }

  restore(): void {
    this.mock.restore();
  }

  arnOf(name: string): string {
    return this.queue(name).arn;
  }

  urlOf(name: string): string {
    return this.queue(name).url;
  }

  /** Messages in the queue (in flight or not), oldest first. */
  messages(name: string): SimulatedMessage[] {
    this.expire(this.queue(name));
    return this.queue(name).messages.map((m) => ({ ...m }));
  }

  /** Puts a message in a queue directly, as another producer would. */
  put(name: string, body: string, delaySeconds = 0): SimulatedMessage {
    const queue = this.queue(name);
    const now = this.clock.now();
    const message: SimulatedMessage = {
      messageId: `sim-${++this.counter}`,
      body,
      sentAtMs: now,
      visibleAtMs: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    this.stats.sent++;
    return message;
  }

  /**
   * One poll of Lambda's SQS event source: receives up to `batchSize` visible messages (redriving those at
   * maxReceiveCount), invokes the handler and deletes what it reports as processed. Returns how many
   * messages the handler got (0: nothing was visible).
   */
  async poll(name: string, handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>, batchSize = 5): Promise<number> {
    const queue = this.queue(name);
    const records = this.receive(queue, batchSize);
    if (records.length === 0) return 0;
    let response: SQSBatchResponse | void;
    try {
      response = await handler({ Records: records });
    } catch {
      return records.length; // every message stays; each comes back after its visibility timeout
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const record of records) {
      if (failed.has(record.messageId)) continue;
      const message = queue.messages.find((m) => m.messageId === record.messageId);
      // Lambda deletes with the handle it received; a stale handle (message received again) deletes nothing.
      if (message !== undefined && message.receiptHandle === record.receiptHandle) this.remove(queue, message);
    }
    return records.length;
  }

  /**
   * Polls until the queue is empty, moving the clock to the next visible message whenever none is
   * visible. Stops after `maxPolls` (a guard against a test that never settles) and says so.
   */
  async run(
    name: string,
    handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>,
    options: { batchSize?: number; maxPolls?: number; untilMs?: number } = {},
  ): Promise<{ polls: number; settled: boolean }> {
    const queue = this.queue(name);
    const maxPolls = options.maxPolls ?? 100_000;
    let polls = 0;
    while (polls < maxPolls) {
      this.expire(queue);
      if (queue.messages.length === 0) return { polls, settled: true };
      const delivered = await this.poll(name, handler, options.batchSize ?? 5);
      polls++;
      if (delivered > 0 || queue.messages.length === 0) continue;
      const next = Math.min(...queue.messages.map((m) => m.visibleAtMs));
      if (options.untilMs !== undefined && next > options.untilMs) {
        this.clock.setTo(Math.max(this.clock.now(), options.untilMs));
        return { polls, settled: false };
      }
      this.clock.setTo(Math.max(this.clock.now(), next));
    }
    return { polls, settled: false };
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new Error(`no simulated queue ${name}`);
    return queue;
  }

  private byUrl(url: string): Queue {
    const queue = [...this.queues.values()].find((q) => q.url === url);
    if (queue === undefined)
      throw Object.assign(new Error(`The specified queue does not exist: ${url}`), { name: "QueueDoesNotExist" });
    return queue;
  }

  private gate<T>(call: () => T): Promise<T> {
    if (this.frozen) return new Promise<T>(() => undefined);
    return Promise.resolve().then(call);
  }

  private send(input: { QueueUrl?: string; MessageBody?: string; DelaySeconds?: number }) {
    const queue = this.byUrl(String(input.QueueUrl));
    const delay = input.DelaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
      throw Object.assign(new Error(`Value ${delay} for parameter DelaySeconds is invalid (0..900)`), {
        name: "InvalidParameterValue",
      });
    }
    if (typeof input.MessageBody !== "string" || input.MessageBody.length === 0) throw new Error("MessageBody is required");
    if (Buffer.byteLength(input.MessageBody) > 262_144) throw new Error("message body over 256 KiB");
    const message = this.put(queue.spec.name, input.MessageBody, delay);
    return { MessageId: message.messageId };
  }

  private changeVisibility(input: { QueueUrl?: string; ReceiptHandle?: string; VisibilityTimeout?: number }) {
    const queue = this.byUrl(String(input.QueueUrl));
    const seconds = input.VisibilityTimeout ?? -1;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
      throw Object.assign(new Error(`Value ${seconds} for parameter VisibilityTimeout is invalid (0..43200)`), {
        name: "InvalidParameterValue",
      });
    }
    const message = queue.messages.find((m) => m.receiptHandle === input.ReceiptHandle);
    if (message === undefined) {
      throw Object.assign(new Error("The receipt handle has expired or is not the latest"), { name: "ReceiptHandleIsInvalid" });
    }
    const now = this.clock.now();
    // Total visibility cannot extend past 12 h from the latest receive.
    const limit = (message.lastReceiveAtMs ?? now) + MAX_VISIBILITY_SECONDS * 1000;
    if (now + seconds * 1000 > limit) {
      throw Object.assign(new Error("Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"), {
        name: "InvalidParameterValue",
      });
    }
    message.visibleAtMs = now + seconds * 1000;
    this.stats.visibilityChanges++;
    return {};
  }

  private delete(input: { QueueUrl?: string; ReceiptHandle?: string }) {
    const queue = this.byUrl(String(input.QueueUrl));
    const message = queue.messages.find((m) => m.receiptHandle === input.ReceiptHandle);
    if (message !== undefined) this.remove(queue, message);
    return {};
  }

  private remove(queue: Queue, message: SimulatedMessage): void {
    queue.messages = queue.messages.filter((m) => m !== message);
  }

  private expire(queue: Queue): void {
    const now = this.clock.now();
    queue.messages = queue.messages.filter((m) => now - m.sentAtMs < queue.spec.retentionSeconds * 1000);
  }

  /** mulberry32. */
  private random(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private receive(queue: Queue, max: number): SQSRecord[] {
    this.expire(queue);
    const now = this.clock.now();
    const records: SQSRecord[] = [];
    // A standard queue gives best-effort order only: take the visible messages in a shuffled order.
    const candidates = queue.messages.filter((m) => m.visibleAtMs <= now);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j] as SimulatedMessage, candidates[i] as SimulatedMessage];
    }
    for (const message of candidates) {
      if (records.length >= max) break;
      if (message.visibleAtMs > now) continue;
      const { deadLetterQueue, maxReceiveCount } = queue.spec;
      if (deadLetterQueue !== undefined && maxReceiveCount !== undefined && message.receiveCount >= maxReceiveCount) {
        this.remove(queue, message);
        // A standard queue keeps the original enqueue time when it moves a message to the DLQ.
        const dlq = this.queue(deadLetterQueue);
        dlq.messages.push({ ...message, visibleAtMs: now, receiptHandle: undefined });
        this.stats.redriven++;
        continue;
      }
      message.receiveCount++;
      message.firstReceiveAtMs ??= now;
      message.lastReceiveAtMs = now;
      message.visibleAtMs = now + queue.spec.visibilityTimeoutSeconds * 1000;
      message.receiptHandle = `rh-${message.messageId}-${message.receiveCount}-${++this.counter}`;
      this.stats.receives++;
      this.stats.mostReceives = Math.max(this.stats.mostReceives, message.receiveCount);
      records.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAtMs),
          SenderId: "AROAEXAMPLE:purge-api",
          ApproximateFirstReceiveTimestamp: String(message.firstReceiveAtMs),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: queue.arn,
        awsRegion: queue.arn.split(":")[3] as string,
      });
    }
    return records;
  }
}

/**
 * A clock for code that reads Date.now() (the deployed handlers): jest's fake timers with only Date faked,
 * so real I/O (the sandbox over loopback) keeps working while time only moves when the test moves it.
 */
export function fakeDateClock(startMs = Date.UTC(2025, 5, 1, 12, 0, 0)): SimulatedClock & { advance(ms: number): void } {
  jest.useFakeTimers({
    doNotFake: [
      "hrtime",
      "nextTick",
      "performance",
      "queueMicrotask",
      "requestAnimationFrame",
      "cancelAnimationFrame",
      "requestIdleCallback",
      "cancelIdleCallback",
      "setImmediate",
      "clearImmediate",
      "setInterval",
      "clearInterval",
      "setTimeout",
      "clearTimeout",
    ],
  });
  jest.setSystemTime(startMs);
  return {
    now: () => Date.now(),
    setTo: (ms) => {
      if (!Number.isFinite(ms)) throw new RangeError(`the clock cannot move to ${ms}`);
      jest.setSystemTime(Math.max(Date.now(), ms));
    },
    advance: (ms) => jest.setSystemTime(Date.now() + ms),
  };
}
