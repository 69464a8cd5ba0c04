/**
 * The purge queue, seen from each side: the API sends one message per batch, delayed towards the batch's
 * planned send time (sqs:SendMessage); the worker changes a message's visibility to make it come back at
 * its time (sqs:ChangeMessageVisibility) and moves a batch it has given up on to the DLQ (sqs:SendMessage
 * on the DLQ only).
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { encodeBatchMessage } from "../../core/jobs/message";
import {
  clampDelay,
  clampVisibility,
  type BatchQueue,
  type DeadLetterQueue,
  type MessageVisibility,
} from "../../core/jobs/queue-settings";

export function sqsBatchQueue(client: SQSClient, queueUrl: string): BatchQueue {
  return {
    async send(message, delaySeconds = 0) {
      const delay = clampDelay(delaySeconds);
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: encodeBatchMessage(message),
          ...(delay > 0 ? { DelaySeconds: delay } : {}),
        }),
      );
    },
  };
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

/** The DLQ: the message body unchanged (a redrive sends it back as it was), the reason as an attribute. */
export function sqsDeadLetterQueue(client: SQSClient, queueUrl: string): DeadLetterQueue {
  return {
    async send(body, reason) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: { reason: { DataType: "String", StringValue: reason.slice(0, 1000) } },
        }),
      );
    },
  };
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
