export { CredentialCache, DEFAULT_CREDENTIAL_TTL_MS, secretsManagerCredentialLoader } from "./credential-cache";
export type { CredentialCacheOptions, CredentialSource, LoadedCredential } from "./credential-cache";
export { EDGEGRID_SECRET_KEYS, EdgeGridSecretError, edgeGridSecretSchema, parseEdgeGridSecret } from "./edgegrid-secret";
