/**
 * Settings the purge queue (constructs/aws/purge-service.ts) and the purge worker must agree on.
 * Every 429 or rate-limit wait returns the message to the queue and costs a receive, and the slow buckets
 * (CP codes 30/min, tags 500/min) can need many waits, so the budget is generous; the DLQ alarm still
 * catches a batch that can never go through.
 */
export const PURGE_QUEUE_MAX_RECEIVE_COUNT = 25;
