/** The Secrets Manager operations the rotation steps need; functions/aws/secrets-manager-store.ts implements them over the SDK. */

export const AWSCURRENT = "AWSCURRENT";
export const AWSPENDING = "AWSPENDING";
export const AWSPREVIOUS = "AWSPREVIOUS";

export interface SecretMetadata {
  rotationEnabled: boolean;
  /** Version id → staging labels, for versions that have labels (DescribeSecret's VersionIdsToStages). */
  versionStages: Record<string, string[]>;
}

export interface SecretVersionValue {
  versionId: string;
  secretString: string;
}

export interface RotationSecretStore {
  describe(secretId: string): Promise<SecretMetadata>;
  /** The value of one version (by id and/or stage); undefined when there is no such version or it has no value. */
  getValue(secretId: string, select: { versionId?: string; stage?: string }): Promise<SecretVersionValue | undefined>;
  /** PutSecretValue with ClientRequestToken = versionId and stage AWSPENDING. */
  putPending(secretId: string, versionId: string, secretString: string): Promise<void>;
  /** UpdateSecretVersionStage: moves `stage` to `moveTo` (off `removeFrom`), or only removes it. */
  updateStage(secretId: string, stage: string, change: { moveTo?: string; removeFrom?: string }): Promise<void>;
}
