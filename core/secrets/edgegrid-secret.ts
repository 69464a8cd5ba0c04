/**
 * The rotating EdgeGrid secret: its AWSCURRENT version holds JSON with exactly
 * `host`, `client_token`, `client_secret` and `access_token` (the names Akamai's `.edgerc` uses).
 * `credential_id` may also be present: the bootstrap secret Terraform writes carries it
 * (constructs/akamai/purge-api-client.ts) and rotation needs it to know which credential to deactivate.
 * Nothing else is accepted, so a secret written in some other shape fails loudly instead of half-working.
 *
 * Errors name keys and rules, never values: every value here is, or sits next to, a secret. That includes
 * JSON syntax errors, whose V8 messages quote the text around the error.
 */
import { EdgeplaneError } from "../errors";
import * as z from "zod/mini";
import type { EdgeGridCredentials } from "../edgegrid/credentials";

export class EdgeGridSecretError extends EdgeplaneError {
  override name = "EdgeGridSecretError";

  constructor(message: string) {
    super(message, "edgegridSecret");
  }
}

const required = z.string().check(z.trim(), z.minLength(1));

/** The one schema of the stored secret (credential and id); rotation writes it, every reader parses it here. */
export const edgeGridSecretSchema = z.strictObject({
  host: required,
  client_token: required,
  client_secret: required,
  access_token: required,
  credential_id: z.optional(z.union([z.string().check(z.minLength(1)), z.int().check(z.nonnegative())])),
});
export type EdgeGridSecretJson = z.infer<typeof edgeGridSecretSchema>;

/** What the secret holds, read once. */
export interface StoredCredential {
  credentials: EdgeGridCredentials;
  /** The IAM credential id; undefined when the secret does not say (then the client token identifies it). */
  credentialId?: number;
}

export const EDGEGRID_SECRET_KEYS = ["host", "client_token", "client_secret", "access_token"] as const;

/** Parses a SecretString into credentials. `source` names the secret in errors (an ARN or a name; never a value). */
export function parseEdgeGridSecret(secretString: string, source = "EdgeGrid secret"): EdgeGridCredentials {
  return parseStoredCredential(secretString, source).credentials;
}

/** Parses a SecretString into credentials and the credential id (rotation needs the id). */
export function parseStoredCredential(secretString: string, source = "EdgeGrid secret"): StoredCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new EdgeGridSecretError(`${source} is not valid JSON; expected an object with keys ${EDGEGRID_SECRET_KEYS.join(", ")}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new EdgeGridSecretError(`${source} must be a JSON object with keys ${EDGEGRID_SECRET_KEYS.join(", ")}`);
  }
  const result = edgeGridSecretSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        // Key names are shown, capped in length: a malformed secret could have a value where a key belongs.
        const keys = issue.keys.map((key) => (key.length > 40 ? `${key.slice(0, 12)}...` : key));
        return `unknown key(s) ${keys.join(", ")}`;
      }
      const key = String(issue.path[0] ?? "(root)");
      if (!Object.hasOwn(parsed, key)) return `${key} is missing`;
      return key === "credential_id"
        ? `${key} must be a non-empty string or a whole number`
        : `${key} must be a non-empty string`;
    });
    throw new EdgeGridSecretError(
      `${source} is invalid: ${problems.join("; ")}; expected exactly the keys ${EDGEGRID_SECRET_KEYS.join(", ")} ` +
        `(and optionally credential_id)`,
    );
  }
  const { host, client_token, client_secret, access_token, credential_id } = result.data;
  const credentials = { host, clientToken: client_token, clientSecret: client_secret, accessToken: access_token };
  const idText = credential_id === undefined ? undefined : String(credential_id).trim();
  const credentialId = idText !== undefined && /^\d{1,15}$/.test(idText) ? Number(idText) : undefined;
  return credentialId === undefined ? { credentials } : { credentials, credentialId };
}
