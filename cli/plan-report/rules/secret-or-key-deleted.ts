import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { replaceReason } from "../replacement";

const TYPES: Record<string, string> = {
  aws_secretsmanager_secret: "secret",
  aws_kms_key: "KMS key",
  aws_kms_replica_key: "KMS replica key",
};

/**
 * A Secrets Manager secret or a KMS key deleted (destroyed or replaced): the EdgeGrid credential or CDN API token it
 * holds, or everything encrypted with the key, is lost once the recovery / deletion window ends. Every secret of the
 * stack counts, the CDN token secrets (edgeplane/<env>/cdn-token/...) included.
 */
export const secretOrKeyDeleted: GuardRule = {
  id: "secret-or-key-deleted",
  severity: "block",
  message:
    "A secret or KMS key would be deleted: the credential or token it holds, or everything encrypted with the key, becomes unrecoverable after the deletion window.",
  why: "The rotating secret holds the only copy of the EdgeGrid credential, a CDN token secret that of its token; the KMS key is the only way to read them. Terraform cannot recreate them.",
  check(change) {
    const what = TYPES[change.type];
    if (!what || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "delete" && kind !== "replace") return [];
    const before = isRecord(change.change.before) ? change.change.before : {};
    const label =
      typeof before.name === "string"
        ? `${what} "${before.name}"`
        : typeof before.key_id === "string"
          ? `${what} ${before.key_id}`
          : what;
    return [kind === "delete" ? `${label} is deleted` : `${label} is replaced (the old one is deleted)${replaceReason(change)}`];
  },
};
