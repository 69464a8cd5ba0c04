/**
 * The purge queue, seen from each side: the API sends one message per batch (sqs:SendMessage); the worker
 * only changes a message's visibility (sqs:ChangeMessageVisibility) to make it come back after a delay.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { encodeBatchMessage } from "../../core/jobs/message";
import { clampVisibility, type BatchQueue, type MessageVisibility } from "../../core/jobs/queue-settings";

export function sqsBatchQueue(client: SQSClient, queueUrl: string): BatchQueue {
  return {
    async send(message) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeBatchMessage(message) }));
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
