/**
 * The rotating secret's value as rotation reads and writes it: the EdgeGrid secret JSON of
 * core/secrets/edgegrid-secret.ts ({host, access_token, client_token, client_secret}) plus
 * credential_id, the IAM credential it holds. The bootstrap secret Terraform writes has the same keys
 * (constructs/akamai/purge-api-client.ts), its host being the API client's base_url, maybe with https://.
 *
 * Rotation swaps client_token + client_secret (+ credential_id); host and access_token belong to the API
 * client and are carried over. Errors name keys, never values.
 */
import type { EdgeGridCredentials } from "../edgegrid/credentials";
import { resolveEdgeGridEndpoint } from "../edgegrid/host-safety";
import { edgeGridSecretSchema, parseEdgeGridSecret } from "../secrets/edgegrid-secret";

export interface StoredCredential {
  credentials: EdgeGridCredentials;
  /** The IAM credential id; undefined when the secret does not say (then the client token identifies it). */
  credentialId?: number;
}

/** Parses a secret value; `source` names the secret in errors. */
export function parseStoredCredential(secretString: string, source: string): StoredCredential {
  const credentials = parseEdgeGridSecret(secretString, source);
  const raw = edgeGridSecretSchema.parse(JSON.parse(secretString)).credential_id;
  const text = raw === undefined ? undefined : String(raw).trim();
  const credentialId = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
  return credentialId === undefined ? { credentials } : { credentials, credentialId };
}

/**
 * The host as the rotating secret stores it: "akab-….luna.akamaiapis.net" (no scheme) for Akamai,
 * "http://127.0.0.1:PORT" for the loopback sandbox (the scheme is needed there). Throws
 * EdgeGridHostError for hosts the transport would refuse anyway.
 */
export function normalizeSecretHost(host: string, env: Record<string, string | undefined> = process.env): string {
  const endpoint = resolveEdgeGridEndpoint(host, env);
  return endpoint.scheme === "https" ? endpoint.host : endpoint.baseUrl;
}

export interface NewCredentialValue {
  host: string;
  accessToken: string;
  clientToken: string;
  clientSecret: string;
  credentialId: number;
}

/** The JSON for the rotating secret; key order is fixed so equal values give equal strings. */
export function serializeStoredCredential(value: NewCredentialValue): string {
  return JSON.stringify({
    host: value.host,
    access_token: value.accessToken,
    client_token: value.clientToken,
    client_secret: value.clientSecret,
    credential_id: value.credentialId,
  });
}
