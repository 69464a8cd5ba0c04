import type { BatchMessage } from "./message";

/**
 * Settings the purge queue (constructs/aws/purge-service.ts) and the purge worker must agree on.
 * Every 429 or rate-limit wait returns the message to the queue and costs a receive, and the slow buckets
 * (CP codes 30/min, tags 500/min) can need many waits, so the budget is generous; the DLQ alarm still
 * catches a batch that can never go through.
 */
export const PURGE_QUEUE_MAX_RECEIVE_COUNT = 25;

/** SQS's limit for a visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface BatchQueue {
  send(message: BatchMessage): Promise<void>;
}

export interface MessageVisibility {
  /** Makes the message visible again after `seconds` (0 to MAX_VISIBILITY_SECONDS). */
  change(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

/** Whole seconds in SQS's range (the worker rounds waits up, so a message never comes back early). */
export function clampVisibility(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds));
}

/** The purge-worker's Lambda timeout, and the queue's visibility timeout (AWS: at least six times it). */
export const PURGE_WORKER_TIMEOUT_SECONDS = 120;
export const PURGE_QUEUE_VISIBILITY_SECONDS = 6 * PURGE_WORKER_TIMEOUT_SECONDS;
