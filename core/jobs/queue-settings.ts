import type { QueueMessage } from "./message";

/**
 * Settings the purge queue (constructs/aws/purge-service.ts) and the purge functions must agree on.
 *
 * A batch's retry budget is counted in its job record (`attempts`, PURGE_MAX_ATTEMPTS), never in SQS
 * receives: waiting for Fast Purge's rate limits hands the message back to SQS as often as the plan
 * needs and costs nothing. The queue's maxReceiveCount is only a safety net for a worker that crashes on
 * a message; the worker moves a batch that is out of attempts to the DLQ itself.
 */
export const PURGE_MAX_ATTEMPTS = 10;

/**
 * SQS redrive after this many receives. High, since every planned or rate-limit wait costs a receive;
 * bounded so that a message that crashes the worker every time (back after the visibility timeout)
 * reaches the DLQ well within the queue's retention: 100 × 720 s = 20 h < 4 days.
 */
export const PURGE_QUEUE_MAX_RECEIVE_COUNT = 100;

/** The purge-worker's Lambda timeout, and the queue's visibility timeout (AWS: at least six times it). */
export const PURGE_WORKER_TIMEOUT_SECONDS = 120;
export const PURGE_QUEUE_VISIBILITY_SECONDS = 6 * PURGE_WORKER_TIMEOUT_SECONDS;
export const PURGE_QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/**
 * purge-api accepts a job only if its last batch is planned within this (a day short of the queue's
 * retention, so every message is received before SQS would drop it). One job alone never comes near it:
 * 50,000 CP codes take about 28 hours; a backlog of jobs can.
 */
export const PURGE_MAX_PLAN_AHEAD_SECONDS = PURGE_QUEUE_RETENTION_SECONDS - 24 * 3600;

/** SQS's limit for a visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS's limit for a message's DelaySeconds: 15 minutes. */
export const MAX_DELAY_SECONDS = 900;

export interface BatchQueue {
  /** Sends one batch's message, invisible for `delaySeconds` (0 to MAX_DELAY_SECONDS). */
  send(message: QueueMessage, delaySeconds?: number): Promise<void>;
}

export interface MessageVisibility {
  /** Makes the message visible again after `seconds` (0 to MAX_VISIBILITY_SECONDS). */
  change(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

/** Where the worker puts a message it has given up on (the queue's DLQ), with why. */
export interface DeadLetterQueue {
  send(body: string, reason: string): Promise<void>;
}

/** Whole seconds in SQS's range (the worker rounds waits up, so a message never comes back early). */
export function clampVisibility(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds));
}

/** Whole seconds in DelaySeconds' range, rounded up. */
export function clampDelay(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(seconds));
}
