/**
 * The purge queue, seen from each side: the API sends one message per batch (sqs:SendMessage); the worker
 * only changes a message's visibility (sqs:ChangeMessageVisibility) to make it come back after a delay.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { encodeBatchMessage, type BatchMessage } from "./message";

/** SQS's limit for a visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface BatchQueue {
  send(message: BatchMessage): Promise<void>;
}

export function sqsBatchQueue(client: SQSClient, queueUrl: string): BatchQueue {
  return {
    async send(message) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeBatchMessage(message) }));
    },
  };
}

export interface MessageVisibility {
  /** Makes the message visible again after `seconds` (0 to MAX_VISIBILITY_SECONDS). */
  change(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

export function sqsMessageVisibility(client: SQSClient): MessageVisibility {
  return {
    async change(queueArn, receiptHandle, seconds) {
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrlFromArn(queueArn),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: clampVisibility(seconds),
        }),
      );
    },
  };
}

/** Whole seconds in SQS's range (the worker rounds waits up, so a message never comes back early). */
export function clampVisibility(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds));
}

/**
 * arn:aws:sqs:eu-west-1:123456789012:name → https://sqs.eu-west-1.amazonaws.com/123456789012/name.
 * The worker learns its queue from the event (the stack gives it no queue URL).
 */
export function queueUrlFromArn(arn: string): string {
  const parts = arn.split(":");
  const [prefix, partition, service, region, account, ...rest] = parts;
  const name = rest.join(":");
  if (prefix !== "arn" || service !== "sqs" || !region || !/^\d{12}$/.test(account ?? "") || name === "") {
    throw new RangeError(`not an SQS queue ARN: ${arn}`);
  }
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}
