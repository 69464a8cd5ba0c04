/**
 * Consumes purge batches from SQS. Placeholder until the purge runtime lands: it reports every message
 * as failed, so SQS retries them and then moves them to the DLQ (with an alarm) — nothing is dropped.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
}
