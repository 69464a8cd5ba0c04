/**
 * A small stateful Secrets Manager for tests, served through aws-sdk-client-mock: secrets, versions and
 * staging labels behave as the AWS docs describe for the four calls rotation uses, plus helpers that
 * play Secrets Manager's own part (RotateSecret's AWSPENDING placeholder).
 *
 * Semantics kept:
 * - A label sits on at most one version. Moving AWSCURRENT puts AWSPREVIOUS on the version it left.
 * - DescribeSecret's VersionIdsToStages lists only versions that have labels.
 * - GetSecretValue: VersionStage defaults to AWSCURRENT; with VersionId and VersionStage both given the
 *   version must carry the stage; a version without a value (RotateSecret's placeholder) or an unknown
 *   one is ResourceNotFoundException.
 * - PutSecretValue with an existing ClientRequestToken: same value → no-op; other value →
 *   ResourceExistsException; a placeholder gets the value. Its VersionStages (default AWSCURRENT) move.
 * - UpdateSecretVersionStage: moving a label that sits elsewhere needs RemoveFromVersionId = that version
 *   (else InvalidParameterException); AWSCURRENT can only be moved, not removed.
 * - startRotation refuses while a version is AWSPENDING but not AWSCURRENT (a rotation in progress),
 *   except for that same token, as RotateSecret does.
 *
 * Usage:
 *   const sm = new FakeSecretsManager();
 *   const mock = sm.install();               // mockClient(SecretsManagerClient); mock.restore() after
 *   sm.createSecret("arn:…:bootstrap", { secretString: "{…}" });
 *   sm.createSecret("arn:…:rotating", { rotationEnabled: true });
 *   const token = sm.startRotation("arn:…:rotating");
 */
import { randomUUID } from "node:crypto";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandInput,
  type DescribeSecretCommandOutput,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
  type PutSecretValueCommandInput,
  type PutSecretValueCommandOutput,
  type UpdateSecretVersionStageCommandInput,
  type UpdateSecretVersionStageCommandOutput,
} from "@aws-sdk/client-secrets-manager";
import { mockClient, type AwsStub } from "aws-sdk-client-mock";

export interface FakeVersion {
  versionId: string;
  /** undefined: RotateSecret's placeholder, not filled by createSecret yet. */
  secretString?: string;
  stages: Set<string>;
}

export interface FakeSecret {
  id: string;
  rotationEnabled: boolean;
  versions: FakeVersion[];
}

export type FakeCommand = "DescribeSecret" | "GetSecretValue" | "PutSecretValue" | "UpdateSecretVersionStage";

interface Failure {
  error: Error;
  /** true: the call takes effect, then the error is thrown (an answer lost on the way back). */
  applied: boolean;
}

const metadata = { $metadata: {} };

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, ...metadata });
}

function invalidParameter(message: string): InvalidParameterException {
  return new InvalidParameterException({ message, ...metadata });
}

export class FakeSecretsManager {
  readonly secrets = new Map<string, FakeSecret>();
  private readonly failures = new Map<FakeCommand, Failure[]>();

  /** Adds a secret; with secretString it gets a first version labelled AWSCURRENT. */
  createSecret(id: string, options: { rotationEnabled?: boolean; secretString?: string } = {}): FakeSecret {
    if (this.secrets.has(id)) throw new Error(`fake secret ${id} exists`);
    const secret: FakeSecret = { id, rotationEnabled: options.rotationEnabled ?? false, versions: [] };
    this.secrets.set(id, secret);
    if (options.secretString !== undefined)
      secret.versions.push({ versionId: randomUUID(), secretString: options.secretString, stages: new Set(["AWSCURRENT"]) });
    return secret;
  }

  secret(id: string): FakeSecret {
    const secret = this.secrets.get(id);
    if (!secret) throw notFound(`Secrets Manager can't find the specified secret.`);
    return secret;
  }

  /** RotateSecret's part: a version `token` labelled AWSPENDING, without a value. Returns the token. */
  startRotation(id: string, token: string = randomUUID()): string {
    const secret = this.secret(id);
    if (!secret.rotationEnabled) throw new InvalidRequestException({ message: "rotation is not enabled", ...metadata });
    const inProgress = secret.versions.find((v) => v.stages.has("AWSPENDING") && !v.stages.has("AWSCURRENT"));
    if (inProgress && inProgress.versionId !== token) {
      throw new InvalidRequestException({
        message: "A previous rotation isn't complete. That rotation will be reattempted.",
        ...metadata,
      });
    }
    if (!secret.versions.some((v) => v.versionId === token)) {
      this.moveLabel(secret, "AWSPENDING", undefined);
      secret.versions.push({ versionId: token, stages: new Set(["AWSPENDING"]) });
    }
    return token;
  }

  /** Version id → labels, for versions with labels (what DescribeSecret shows). */
  stages(id: string): Record<string, string[]> {
    return Object.fromEntries(
      this.secret(id)
        .versions.filter((v) => v.stages.size > 0)
        .map((v) => [v.versionId, [...v.stages].sort()]),
    );
  }

  /** The value under a label, or undefined. */
  valueAt(id: string, stage: string): string | undefined {
    return this.secret(id).versions.find((v) => v.stages.has(stage))?.secretString;
  }

  versionAt(id: string, stage: string): string | undefined {
    return this.secret(id).versions.find((v) => v.stages.has(stage))?.versionId;
  }

  /** The next call of `command` fails with `error` (after taking effect when applied is true). */
  failNext(command: FakeCommand, error: Error, options: { applied?: boolean } = {}): void {
    const list = this.failures.get(command) ?? [];
    list.push({ error, applied: options.applied ?? false });
    this.failures.set(command, list);
  }

  private async run<T>(command: FakeCommand, work: () => T): Promise<T> {
    const failure = this.failures.get(command)?.shift();
    if (failure && !failure.applied) throw failure.error;
    const result = work();
    if (failure) throw failure.error;
    return result;
  }

  /** Puts `label` on `target` (or nowhere), taking it off wherever it was; AWSCURRENT leaves AWSPREVIOUS behind. */
  private moveLabel(secret: FakeSecret, label: string, target: FakeVersion | undefined): void {
    const holder = secret.versions.find((v) => v.stages.has(label));
    if (holder === target) return;
    holder?.stages.delete(label);
    target?.stages.add(label);
    if (label === "AWSCURRENT" && holder) {
      for (const v of secret.versions) v.stages.delete("AWSPREVIOUS");
      holder.stages.add("AWSPREVIOUS");
    }
  }

  describe(input: DescribeSecretCommandInput): Promise<DescribeSecretCommandOutput> {
    return this.run("DescribeSecret", () => {
      const secret = this.secret(input.SecretId as string);
      return {
        ...metadata,
        ARN: secret.id,
        Name: secret.id,
        RotationEnabled: secret.rotationEnabled,
        VersionIdsToStages: this.stages(secret.id),
      };
    });
  }

  getValue(input: GetSecretValueCommandInput): Promise<GetSecretValueCommandOutput> {
    return this.run("GetSecretValue", () => {
      const secret = this.secret(input.SecretId as string);
      const stage = input.VersionStage ?? (input.VersionId === undefined ? "AWSCURRENT" : undefined);
      const version = secret.versions.find(
        (v) => (input.VersionId === undefined || v.versionId === input.VersionId) && (stage === undefined || v.stages.has(stage)),
      );
      if (!version || version.secretString === undefined) {
        throw notFound(
          `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${stage}`}`,
        );
      }
      return {
        ...metadata,
        ARN: secret.id,
        Name: secret.id,
        VersionId: version.versionId,
        SecretString: version.secretString,
        VersionStages: [...version.stages],
      };
    });
  }

  putValue(input: PutSecretValueCommandInput): Promise<PutSecretValueCommandOutput> {
    return this.run("PutSecretValue", () => {
      const secret = this.secret(input.SecretId as string);
      if (input.SecretString === undefined)
        throw new InvalidRequestException({ message: "SecretString is required by this fake", ...metadata });
      const versionId = input.ClientRequestToken ?? randomUUID();
      let version = secret.versions.find((v) => v.versionId === versionId);
      if (version?.secretString !== undefined && version.secretString !== input.SecretString) {
        throw new ResourceExistsException({
          message: `A version with VersionId ${versionId} already exists with other secret data`,
          ...metadata,
        });
      }
      if (!version) {
        version = { versionId, stages: new Set() };
        secret.versions.push(version);
      }
      version.secretString = input.SecretString;
      for (const stage of input.VersionStages ?? ["AWSCURRENT"]) this.moveLabel(secret, stage, version);
      return { ...metadata, ARN: secret.id, Name: secret.id, VersionId: versionId, VersionStages: [...version.stages] };
    });
  }

  updateStage(input: UpdateSecretVersionStageCommandInput): Promise<UpdateSecretVersionStageCommandOutput> {
    return this.run("UpdateSecretVersionStage", () => {
      const secret = this.secret(input.SecretId as string);
      const label = input.VersionStage as string;
      const holder = secret.versions.find((v) => v.stages.has(label));
      if (input.MoveToVersionId !== undefined) {
        const target = secret.versions.find((v) => v.versionId === input.MoveToVersionId);
        if (!target) throw notFound(`version ${input.MoveToVersionId} not found`);
        if (holder && holder !== target && input.RemoveFromVersionId !== holder.versionId) {
          throw invalidParameter(
            `The staging label ${label} is currently attached to version ${holder.versionId}; specify it in RemoveFromVersionId`,
          );
        }
        this.moveLabel(secret, label, target);
      } else {
        if (label === "AWSCURRENT") throw invalidParameter("AWSCURRENT can only be moved to another version");
        if (!holder || holder.versionId !== input.RemoveFromVersionId) {
          throw invalidParameter(`The staging label ${label} is not attached to version ${String(input.RemoveFromVersionId)}`);
        }
        holder.stages.delete(label);
      }
      return { ...metadata, ARN: secret.id, Name: secret.id };
    });
  }

  /** Serves every SecretsManagerClient through this fake until the returned stub is restored. */
  install(): AwsStub<any, any, any> {
    const mock = mockClient(SecretsManagerClient);
    mock.on(DescribeSecretCommand).callsFake((input: DescribeSecretCommandInput) => this.describe(input));
    mock.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => this.getValue(input));
    mock.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => this.putValue(input));
    mock.on(UpdateSecretVersionStageCommand).callsFake((input: UpdateSecretVersionStageCommandInput) => this.updateStage(input));
    return mock;
  }
}
