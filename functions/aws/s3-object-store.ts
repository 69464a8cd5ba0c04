/**
 * ObjectStore on S3 (@aws-sdk/client-s3): GetObject and PutObject in one bucket. The bucket's default
 * encryption (SSE-KMS with the secrets key) applies to every put; versioning keeps earlier files.
 *
 * A missing key is NoSuchKey (404): the function's role may list its two prefixes (s3:ListBucket), without
 * which S3 would answer AccessDenied. AccessDenied is therefore a real permission problem and an error.
 * Errors name the bucket, key and AWS error, never object contents (they hold token values).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ObjectStore, StoredObject } from "../../core/tokens/object-store";

export class ObjectStoreError extends Error {
  override name = "ObjectStoreError";
}

function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    let answer;
    try {
      answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      const name = awsErrorName(error);
      const status = httpStatus(error);
      if (name === "NoSuchKey" || name === "NotFound" || status === 404) return undefined;
      throw new ObjectStoreError(`cannot read s3://${this.bucket}/${key}: ${name}${status ? ` (HTTP ${status})` : ""}`);
    }
    if (answer.Body === undefined) return { body: Buffer.alloc(0), ...(answer.LastModified ? { lastModifiedMs: answer.LastModified.getTime() } : {}) };
    const bytes = await answer.Body.transformToByteArray();
    return { body: Buffer.from(bytes), ...(answer.LastModified ? { lastModifiedMs: answer.LastModified.getTime() } : {}) };
  }

  async put(key: string, body: Buffer, contentType: string): Promise<{ versionId?: string }> {
    try {
      const answer = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
      return answer.VersionId ? { versionId: answer.VersionId } : {};
    } catch (error) {
      const status = httpStatus(error);
      throw new ObjectStoreError(`cannot write s3://${this.bucket}/${key}: ${awsErrorName(error)}${status ? ` (HTTP ${status})` : ""}`);
    }
  }
}
