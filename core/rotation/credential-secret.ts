/**
 * The rotating secret's value as rotation reads and writes it: the EdgeGrid secret JSON of
 * core/secrets/edgegrid-secret.ts ({host, access_token, client_token, client_secret}) plus
 * credential_id, the IAM credential it holds. The bootstrap secret Terraform writes has the same keys
 * (constructs/akamai/purge-api-client.ts), its host being the API client's base_url, maybe with https://.
 *
 * Rotation swaps client_token + client_secret (+ credential_id); host and access_token belong to the API
 * client and are carried over. Errors name keys, never values.
 */
import { resolveEdgeGridEndpoint } from "../edgegrid/host-safety";
import type { EdgeGridSecretJson } from "../secrets/edgegrid-secret";

// One schema for the stored secret (credential and id): core/secrets/edgegrid-secret.ts.
export { parseStoredCredential, type StoredCredential } from "../secrets/edgegrid-secret";

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

/** The JSON for the rotating secret (the shared schema's shape); key order is fixed so equal values give equal strings. */
export function serializeStoredCredential(value: NewCredentialValue): string {
  const json: Required<EdgeGridSecretJson> = {
    host: value.host,
    access_token: value.accessToken,
    client_token: value.clientToken,
    client_secret: value.clientSecret,
    credential_id: value.credentialId,
  };
  return JSON.stringify(json);
}
