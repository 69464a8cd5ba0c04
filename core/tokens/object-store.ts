/**
 * Where the reconcile publishes edgekv_tokens.js (and keeps copies of the bundles it uploads): a
 * versioned, KMS-encrypted S3 bucket in the stack (s3-object-store.ts), an in-memory map in tests.
 *
 * Keys (the function's IAM allows PutObject only under these two prefixes):
 *   edgekv_tokens/<namePrefix>/edgekv_tokens.js   the current file for one declared token
 *   bundles/<edgeWorkerId>/<version>.tgz          each bundle the reconcile uploaded to EdgeWorkers
 */
export interface StoredObject {
  body: Buffer;
  /** When this version of the object was written (S3 LastModified), if known. */
  lastModifiedMs?: number;
}

export interface ObjectStore {
  /** The current version of the object, or undefined when there is none. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Writes a new version; returns its S3 VersionId when the store has versions. */
  put(key: string, body: Buffer, contentType: string): Promise<{ versionId?: string }>;
}

export function tokensFileKey(namePrefix: string): string {
  return `edgekv_tokens/${namePrefix}/edgekv_tokens.js`;
}

export function bundleKey(edgeWorkerId: number, version: string): string {
  return `bundles/${edgeWorkerId}/${version}.tgz`;
}
