/**
 * The Secrets Manager rotation protocol for the EdgeGrid credential, on the IAM API's self-credential
 * endpoints (shared/reference/akamai-apis.md §3). One function per step; runRotationStep dispatches.
 *
 * Every step first checks (DescribeSecret) that rotation is enabled and that the ClientRequestToken's
 * version is AWSPENDING; a version that is already AWSCURRENT means the step has nothing left to do.
 * Every step can run again without harm:
 *
 * - createSecret: nothing when the token's version already has a value. Otherwise it makes room
 *   (deletes INACTIVE credentials whose grace period is over, see cleanup.ts), creates a credential
 *   with POST …/self/credentials signed with the current credential (AWSCURRENT, or the bootstrap
 *   secret while the rotating secret has no AWSCURRENT), and stores it with PutSecretValue as AWSPENDING.
 *   The secret is in the create answer only, so a crash between the POST and PutSecretValue leaks a
 *   credential nobody can use: the retry creates another one, and the leaked one, being neither current
 *   nor previous, is deactivated by this rotation's cleanup and deleted after the grace period. When
 *   PutSecretValue fails with an error (no crash), the step reads the version back: if it does not hold
 *   the new credential, that credential is deactivated and deleted at once (best effort).
 * - setSecret: the current credential must stay valid through the overlap: when its expiresOn is
 *   earlier than now + overlap it is moved to now + overlap + a day (never later than maxAllowedExpiry;
 *   never earlier than it was).
 * - testSecret: lists the client's credentials signed with the pending credential; a refusal (401/403
 *   or any error) or a pending credential that is missing or not ACTIVE fails the rotation, leaving
 *   AWSCURRENT as it is. When the pending credential is definitely unusable (401/403, missing, not
 *   ACTIVE; not for network errors or 5xx), AWSPENDING is also taken off its version: otherwise every
 *   later RotateSecret would refuse to start ("a previous rotation isn't complete") and retry the same
 *   dead credential. The next rotation then starts afresh, and its cleanup deactivates the dead one.
 * - finishSecret: moves AWSCURRENT to the token's version (Secrets Manager puts AWSPREVIOUS on the old
 *   one), removes AWSPENDING, then cleans up with the new current credential: deactivates what is
 *   neither current nor previous, deletes what is due, never deletes Terraform's credential. A cleanup
 *   failure fails the step after AWSCURRENT has moved, so Secrets Manager retries it (the move is then
 *   skipped) and the function's error alarm fires.
 */
import type { EdgeGridCredentials } from "../edgegrid/credentials";
import { isAkamaiApiError } from "../akamai/api-error";
import type { ApiCredential, IamCredentialsClient } from "../akamai/iam-credentials";
import { executeCleanup, planCredentialCleanup, type CleanupLogger } from "./cleanup";
import {
  normalizeSecretHost,
  parseStoredCredential,
  serializeStoredCredential,
  type StoredCredential,
} from "./credential-secret";
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type RotationSecretStore } from "./secret-store";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** How long the credential being replaced stays valid at least, from setSecret on. */
export const DEFAULT_OVERLAP_MS = 7 * DAY_MS;
/** How long a deactivated credential waits before it is deleted (it can be reactivated meanwhile). */
export const DEFAULT_GRACE_MS = 7 * DAY_MS;
/** setSecret extends a little past the overlap, so a step re-run soon after does not write again. */
const EXTENSION_MARGIN_MS = DAY_MS;

export type RotationStep = "createSecret" | "setSecret" | "testSecret" | "finishSecret";
export const ROTATION_STEPS: readonly RotationStep[] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

export interface RotationEvent {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
}

export interface RotationLogger extends CleanupLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** An IAM client signed with one credential; close() releases its sockets. */
export interface IamSession {
  client: IamCredentialsClient;
  close(): void;
}

export interface RotationDeps {
  store: RotationSecretStore;
  /** ARN (or name) of the Terraform-owned bootstrap secret. */
  bootstrapSecretId: string;
  /** The credential Terraform created (decimal id): deactivated, never deleted. */
  terraformCredentialId: string;
  openIam(credentials: EdgeGridCredentials): IamSession;
  logger: RotationLogger;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  overlapMs?: number;
  graceMs?: number;
  /** For host normalisation (EDGEPLANE_INSECURE_LOOPBACK); default process.env. */
  env?: Record<string, string | undefined>;
}

/** A rotation step refused to go on; the message names versions, stages and credential ids only. */
export class RotationError extends Error {
  override name = "RotationError";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type VersionState = "current" | "pending";

/** DescribeSecret checks shared by every step. */
async function checkVersion(deps: RotationDeps, secretId: string, token: string, step: string): Promise<VersionState> {
  const metadata = await deps.store.describe(secretId);
  if (!metadata.rotationEnabled) throw new RotationError(`${step}: rotation is not enabled for the secret`);
  const stages = metadata.versionStages[token];
  if (!stages) throw new RotationError(`${step}: version ${token} has no stage for rotation of the secret`);
  if (stages.includes(AWSCURRENT)) return "current";
  if (!stages.includes(AWSPENDING))
    throw new RotationError(`${step}: version ${token} is not set as AWSPENDING for rotation of the secret`);
  return "pending";
}

interface SourcedCredential extends StoredCredential {
  source: "AWSCURRENT" | "AWSPREVIOUS" | "bootstrap";
}

async function readBootstrap(deps: RotationDeps): Promise<SourcedCredential> {
  const bootstrap = await deps.store.getValue(deps.bootstrapSecretId, { stage: AWSCURRENT });
  if (!bootstrap) throw new RotationError("the bootstrap secret has no value");
  return { ...parseStoredCredential(bootstrap.secretString, "the bootstrap secret"), source: "bootstrap" };
}

/** The credential to sign with now: AWSCURRENT, or the bootstrap secret while there is none. */
async function currentCredential(deps: RotationDeps, secretId: string): Promise<SourcedCredential> {
  const current = await deps.store.getValue(secretId, { stage: AWSCURRENT });
  if (current)
    return { ...parseStoredCredential(current.secretString, "the rotating secret's AWSCURRENT"), source: "AWSCURRENT" };
  return readBootstrap(deps);
}

/** The credential before the current one: AWSPREVIOUS, or the bootstrap secret while there is none. */
async function previousCredential(deps: RotationDeps, secretId: string): Promise<SourcedCredential> {
  const previous = await deps.store.getValue(secretId, { stage: AWSPREVIOUS });
  if (previous)
    return { ...parseStoredCredential(previous.secretString, "the rotating secret's AWSPREVIOUS"), source: "AWSPREVIOUS" };
  return readBootstrap(deps);
}

async function pendingCredential(deps: RotationDeps, secretId: string, token: string, step: string): Promise<StoredCredential> {
  const pending = await deps.store.getValue(secretId, { versionId: token, stage: AWSPENDING });
  if (!pending) throw new RotationError(`${step}: version ${token} has no AWSPENDING value (createSecret has not stored one)`);
  return parseStoredCredential(pending.secretString, `the rotating secret's AWSPENDING version ${token}`);
}

/** The listed credential a stored credential refers to: by id when the secret has one, else by client token. */
export function findCredential(list: readonly ApiCredential[], stored: StoredCredential): ApiCredential | undefined {
  return stored.credentialId !== undefined
    ? list.find((c) => c.credentialId === stored.credentialId)
    : list.find((c) => c.clientToken === stored.credentials.clientToken);
}

async function withIam<T>(
  deps: RotationDeps,
  credentials: EdgeGridCredentials,
  work: (client: IamCredentialsClient) => Promise<T>,
): Promise<T> {
  const session = deps.openIam(credentials);
  try {
    return await work(session.client);
  } finally {
    session.close();
  }
}

function terraformId(deps: RotationDeps): number {
  const text = deps.terraformCredentialId.trim();
  if (!/^\d{1,15}$/.test(text))
    throw new RotationError("the Terraform credential id is not set to a credential id; refusing to clean up credentials");
  return Number(text);
}

export async function createSecret(deps: RotationDeps, secretId: string, token: string): Promise<void> {
  const log = { step: "createSecret", versionId: token };
  if ((await checkVersion(deps, secretId, token, "createSecret")) === "current") {
    deps.logger.info("version is already AWSCURRENT; nothing to do", log);
    return;
  }
  if (await deps.store.getValue(secretId, { versionId: token, stage: AWSPENDING })) {
    deps.logger.info("AWSPENDING already holds a credential for this version; nothing to do", log);
    return;
  }
  const signer = await currentCredential(deps, secretId);
  const previous = await previousCredential(deps, secretId);
  const host = normalizeSecretHost(signer.credentials.host, deps.env);
  const now = (deps.now ?? Date.now)();
  const tfId = terraformId(deps);

  await withIam(deps, signer.credentials, async (iam) => {
    // Make room first: credentials whose grace period is over are deleted (cleanup.ts), so a cap on
    // credentials per client reached by earlier failed cleanups does not block rotation for good.
    const list = await iam.listSelfCredentials();
    const keep = new Set(
      [findCredential(list, signer), findCredential(list, previous)].flatMap((c) => (c ? [c.credentialId] : [])),
    );
    const due = planCredentialCleanup({
      credentials: list,
      keep,
      terraformCredentialId: tfId,
      nowMs: now,
      graceMs: deps.graceMs ?? DEFAULT_GRACE_MS,
      deactivate: false,
    });
    if (due.length > 0) await executeCleanup(iam, due, deps.logger);

    const created = await iam.createSelfCredential();
    deps.logger.info("created a credential", { ...log, credentialId: created.credentialId, signedWith: signer.source });
    const value = serializeStoredCredential({
      host,
      accessToken: signer.credentials.accessToken,
      clientToken: created.clientToken,
      clientSecret: created.clientSecret,
      credentialId: created.credentialId,
    });
    try {
      await deps.store.putPending(secretId, token, value);
    } catch (error) {
      await discardUnstored(deps, iam, secretId, token, created.credentialId, created.clientToken, log);
      throw new RotationError(
        `createSecret: storing credential ${created.credentialId} as AWSPENDING failed: ${errorText(error)}`,
      );
    }
  });
  deps.logger.info("stored the new credential as AWSPENDING", log);
}

/**
 * PutSecretValue failed. If the version does not hold the new credential after all (the call may have
 * succeeded before its answer was lost), the credential is useless: deactivate and delete it now.
 */
async function discardUnstored(
  deps: RotationDeps,
  iam: IamCredentialsClient,
  secretId: string,
  token: string,
  credentialId: number,
  clientToken: string,
  log: Record<string, unknown>,
): Promise<void> {
  try {
    const stored = await deps.store.getValue(secretId, { versionId: token });
    if (stored && parseStoredCredential(stored.secretString, "the stored version").credentials.clientToken === clientToken)
      return;
    await iam.deactivateSelfCredential(credentialId);
    await iam.deleteSelfCredential(credentialId);
    deps.logger.warn("deleted the credential that could not be stored", { ...log, credentialId });
  } catch (error) {
    deps.logger.error("could not discard the unstored credential; cleanup will deactivate it", {
      ...log,
      credentialId,
      error: errorText(error),
    });
  }
}

export async function setSecret(deps: RotationDeps, secretId: string, token: string): Promise<void> {
  const log = { step: "setSecret", versionId: token };
  if ((await checkVersion(deps, secretId, token, "setSecret")) === "current") {
    deps.logger.info("version is already AWSCURRENT; nothing to do", log);
    return;
  }
  await pendingCredential(deps, secretId, token, "setSecret");
  const old = await currentCredential(deps, secretId);
  const now = (deps.now ?? Date.now)();
  const required = now + (deps.overlapMs ?? DEFAULT_OVERLAP_MS);

  await withIam(deps, old.credentials, async (iam) => {
    const list = await iam.listSelfCredentials();
    const credential = findCredential(list, old);
    if (!credential)
      throw new RotationError(`setSecret: the current credential (${old.source}) is not among the API client's credentials`);
    if (credential.status !== "ACTIVE")
      throw new RotationError(`setSecret: the current credential ${credential.credentialId} is ${credential.status}, not ACTIVE`);
    const expiresMs = Date.parse(credential.expiresOn);
    if (expiresMs >= required) {
      deps.logger.info("the current credential stays valid through the overlap", {
        ...log,
        credentialId: credential.credentialId,
        expiresOn: credential.expiresOn,
      });
      return;
    }
    const maxMs = credential.maxAllowedExpiry !== undefined ? Date.parse(credential.maxAllowedExpiry) : Number.POSITIVE_INFINITY;
    const target = Math.min(required + EXTENSION_MARGIN_MS, maxMs);
    if (target <= expiresMs) {
      deps.logger.warn("the current credential cannot be extended (maxAllowedExpiry)", {
        ...log,
        credentialId: credential.credentialId,
        expiresOn: credential.expiresOn,
      });
      return;
    }
    await iam.updateSelfCredential(credential.credentialId, {
      status: "ACTIVE",
      expiresOn: new Date(target),
      description: credential.description,
    });
    const extended = { ...log, credentialId: credential.credentialId, expiresOn: new Date(target).toISOString() };
    if (target < required)
      deps.logger.warn("extended the current credential only up to maxAllowedExpiry, short of the overlap", extended);
    else deps.logger.info("extended the current credential through the overlap", extended);
  });
}

export async function testSecret(deps: RotationDeps, secretId: string, token: string): Promise<void> {
  const log = { step: "testSecret", versionId: token };
  if ((await checkVersion(deps, secretId, token, "testSecret")) === "current") {
    deps.logger.info("version is already AWSCURRENT; nothing to do", log);
    return;
  }
  const pending = await pendingCredential(deps, secretId, token, "testSecret");
  const id = pending.credentialId ?? "(id unknown)";
  const unusable = async (why: string): Promise<never> => {
    try {
      await deps.store.updateStage(secretId, AWSPENDING, { removeFrom: token });
      deps.logger.warn("took AWSPENDING off the version of the unusable credential; the next rotation starts afresh", {
        ...log,
        credentialId: id,
      });
    } catch (error) {
      deps.logger.error("could not take AWSPENDING off the version", { ...log, error: errorText(error) });
    }
    throw new RotationError(`testSecret: ${why}; AWSCURRENT is unchanged`);
  };
  let list: ApiCredential[];
  try {
    list = await withIam(deps, pending.credentials, (iam) => iam.listSelfCredentials());
  } catch (error) {
    if (isAkamaiApiError(error) && error.isAuthFailure)
      return unusable(`the pending credential ${id} was refused: ${errorText(error)}`);
    throw new RotationError(`testSecret: the pending credential ${id} could not be tested: ${errorText(error)}`);
  }
  const credential = findCredential(list, pending);
  if (!credential) return unusable(`the pending credential ${id} is not among the API client's credentials`);
  if (credential.status !== "ACTIVE")
    return unusable(`the pending credential ${credential.credentialId} is ${credential.status}, not ACTIVE`);
  deps.logger.info("the pending credential works", { ...log, credentialId: credential.credentialId });
}

export async function finishSecret(deps: RotationDeps, secretId: string, token: string): Promise<void> {
  const log = { step: "finishSecret", versionId: token };
  const metadata = await deps.store.describe(secretId);
  if (!metadata.rotationEnabled) throw new RotationError("finishSecret: rotation is not enabled for the secret");
  const stages = metadata.versionStages[token];
  if (!stages) throw new RotationError(`finishSecret: version ${token} has no stage for rotation of the secret`);
  const currentVersion = Object.entries(metadata.versionStages).find(([, labels]) => labels.includes(AWSCURRENT))?.[0];

  if (currentVersion === token) {
    deps.logger.info("version is already AWSCURRENT", log);
  } else {
    if (!stages.includes(AWSPENDING))
      throw new RotationError(`finishSecret: version ${token} is not set as AWSPENDING for rotation of the secret`);
    await pendingCredential(deps, secretId, token, "finishSecret");
    await deps.store.updateStage(secretId, AWSCURRENT, {
      moveTo: token,
      ...(currentVersion !== undefined ? { removeFrom: currentVersion } : {}),
    });
    deps.logger.info("moved AWSCURRENT", { ...log, from: currentVersion ?? "(none)" });
  }
  if (stages.includes(AWSPENDING)) await deps.store.updateStage(secretId, AWSPENDING, { removeFrom: token });

  await cleanUpCredentials(deps, secretId, token);
}

/** After finishSecret: deactivate what is neither current nor previous, delete what is due. */
export async function cleanUpCredentials(deps: RotationDeps, secretId: string, token: string): Promise<void> {
  const log = { step: "finishSecret", versionId: token };
  const tfId = terraformId(deps);
  const current = await currentCredential(deps, secretId);
  const previous = await previousCredential(deps, secretId);
  const now = (deps.now ?? Date.now)();
  const outcome = await withIam(deps, current.credentials, async (iam) => {
    const list = await iam.listSelfCredentials();
    const currentListed = findCredential(list, current);
    if (!currentListed)
      throw new RotationError("finishSecret: the new current credential is not among the API client's credentials; no cleanup");
    const previousListed = findCredential(list, previous);
    const keep = new Set([currentListed.credentialId, ...(previousListed ? [previousListed.credentialId] : [])]);
    const actions = planCredentialCleanup({
      credentials: list,
      keep,
      terraformCredentialId: tfId,
      nowMs: now,
      graceMs: deps.graceMs ?? DEFAULT_GRACE_MS,
      deactivate: true,
    });
    deps.logger.info("credential cleanup plan", {
      ...log,
      keep: [...keep],
      actions: actions.map((a) => `${a.kind} ${a.credentialId}`),
    });
    return executeCleanup(iam, actions, deps.logger);
  });
  if (outcome.failed.length > 0) {
    const failed = outcome.failed.map((f) => `${f.action.kind} ${f.action.credentialId}: ${f.message}`).join("; ");
    throw new RotationError(`finishSecret: AWSCURRENT is version ${token}, but credential cleanup failed: ${failed}`);
  }
}

/** Runs one step of a Secrets Manager rotation event. */
export async function runRotationStep(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  if (typeof secretId !== "string" || secretId === "" || typeof token !== "string" || token === "") {
    throw new RotationError("the rotation event needs SecretId and ClientRequestToken");
  }
  switch (step) {
    case "createSecret":
      return createSecret(deps, secretId, token);
    case "setSecret":
      return setSecret(deps, secretId, token);
    case "testSecret":
      return testSecret(deps, secretId, token);
    case "finishSecret":
      return finishSecret(deps, secretId, token);
    default:
      throw new RotationError(
        `unknown rotation step ${JSON.stringify(String(step).slice(0, 40))}; expected one of ${ROTATION_STEPS.join(", ")}`,
      );
  }
}
