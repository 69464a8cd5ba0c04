/**
 * Which of the API client's credentials rotation deactivates or deletes, as a pure plan, and carrying
 * the plan out.
 *
 * Rules (issue 4, DESIGN "EdgeGrid credential rotation"):
 * - `keep` (the credentials of AWSCURRENT and AWSPREVIOUS, or of the bootstrap secret when there is no
 *   AWSPREVIOUS yet) is never touched.
 * - Every other ACTIVE credential is deactivated. That includes credentials leaked by a rotation that
 *   crashed between creating a credential and storing it (nobody holds their secret), and credentials
 *   made outside edgeplane: the API client belongs to edgeplane.
 * - The grace period runs from deactivation: a credential being deactivated gets expiresOn = now + grace
 *   (when it would expire later), and an INACTIVE credential is deleted only once its expiresOn has
 *   passed and it is older than the grace period. An INACTIVE credential found with a later expiresOn
 *   (deactivated by someone else) gets expiresOn = now + grace first. So every deletion comes at least
 *   one grace period after edgeplane first saw the credential inactive, and running a cleanup twice in
 *   a row deletes nothing the first run deactivated.
 * - The credential Terraform created is deactivated like any other but never deleted.
 * - Statuses other than ACTIVE and INACTIVE (DELETED, anything new) are left alone.
 */
import type { ApiCredential, IamCredentialsClient } from "../akamai/iam-credentials";

export type CleanupAction =
  /** PUT status INACTIVE with expiresOn (the grace period starts), or POST …/deactivate when expiresOn is undefined. */
  | { kind: "deactivate"; credentialId: number; expiresOn?: Date; description: string }
  /** PUT expiresOn = now + grace on an INACTIVE credential (status unchanged). */
  | { kind: "scheduleDeletion"; credentialId: number; expiresOn: Date; description: string }
  | { kind: "delete"; credentialId: number };

export interface CleanupPlanInput {
  credentials: readonly ApiCredential[];
  /** Credential ids that must stay as they are. */
  keep: ReadonlySet<number>;
  /** Never deleted (only deactivated). */
  terraformCredentialId: number;
  nowMs: number;
  graceMs: number;
  /** false: only deletions that are due (the pass before creating a credential, to make room). */
  deactivate: boolean;
}

export function planCredentialCleanup(input: CleanupPlanInput): CleanupAction[] {
  const { nowMs, graceMs } = input;
  const graceEnd = nowMs + graceMs;
  const actions: CleanupAction[] = [];
  for (const credential of [...input.credentials].sort((a, b) => a.credentialId - b.credentialId)) {
    const id = credential.credentialId;
    if (input.keep.has(id)) continue;
    const expiresMs = Date.parse(credential.expiresOn);
    const createdMs = Date.parse(credential.createdOn);
    if (Number.isNaN(expiresMs) || Number.isNaN(createdMs)) continue; // unreadable dates: leave it to a human
    if (credential.status === "ACTIVE") {
      if (!input.deactivate) continue;
      actions.push(
        expiresMs > graceEnd
          ? { kind: "deactivate", credentialId: id, expiresOn: new Date(graceEnd), description: credential.description }
          : { kind: "deactivate", credentialId: id, description: credential.description },
      );
    } else if (credential.status === "INACTIVE") {
      if (id === input.terraformCredentialId) continue;
      if (expiresMs <= nowMs && createdMs <= nowMs - graceMs) {
        actions.push({ kind: "delete", credentialId: id });
      } else if (expiresMs > graceEnd && input.deactivate) {
        actions.push({
          kind: "scheduleDeletion",
          credentialId: id,
          expiresOn: new Date(graceEnd),
          description: credential.description,
        });
      }
    }
  }
  return actions;
}

export interface CleanupLogger {
  info(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export interface CleanupOutcome {
  done: CleanupAction[];
  failed: Array<{ action: CleanupAction; message: string }>;
}

/** Carries out every action, one at a time; a failed action is recorded and the rest still run. */
export async function executeCleanup(
  client: IamCredentialsClient,
  actions: readonly CleanupAction[],
  logger: CleanupLogger,
): Promise<CleanupOutcome> {
  const outcome: CleanupOutcome = { done: [], failed: [] };
  for (const action of actions) {
    try {
      switch (action.kind) {
        case "deactivate":
          if (action.expiresOn) {
            await client.updateSelfCredential(action.credentialId, {
              status: "INACTIVE",
              expiresOn: action.expiresOn,
              description: action.description,
            });
          } else {
            await client.deactivateSelfCredential(action.credentialId);
          }
          break;
        case "scheduleDeletion":
          await client.updateSelfCredential(action.credentialId, {
            status: "INACTIVE",
            expiresOn: action.expiresOn,
            description: action.description,
          });
          break;
        case "delete":
          await client.deleteSelfCredential(action.credentialId);
          break;
      }
      outcome.done.push(action);
      logger.info(`credential cleanup: ${action.kind}`, {
        credentialId: action.credentialId,
        ...("expiresOn" in action && action.expiresOn ? { expiresOn: action.expiresOn.toISOString() } : {}),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome.failed.push({ action, message });
      logger.error(`credential cleanup: ${action.kind} failed`, { credentialId: action.credentialId, error: message });
    }
  }
  return outcome;
}
