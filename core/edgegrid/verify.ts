/**
 * Server-side EdgeGrid verification, for the local sandbox. The signature is recomputed with the
 * same functions the client uses (sign.ts), so the two cannot drift apart.
 */
import { timingSafeEqual } from "node:crypto";
import {
  AUTH_SCHEME,
  DEFAULT_MAX_BODY,
  canonicalizeHeaders,
  computeSignature,
  contentHash,
  dataToSign,
  parseTimestamp,
  unsignedAuthHeader,
  type HeaderBag,
  type SignableBody,
} from "./sign";

export type VerifyFailureReason =
  | "malformed_header"
  | "unknown_client"
  | "bad_signature"
  | "timestamp_skew"
  | "content_hash_mismatch"
  | "replayed_nonce";

export type VerifyResult =
  | { ok: true; clientToken: string }
  /** detail is safe to show to the caller: it never holds a secret, signature or token value. */
  | { ok: false; reason: VerifyFailureReason; detail: string };

export interface ParsedAuthorization {
  clientToken: string;
  accessToken: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/**
 * Remembers nonces until their timestamps can no longer pass the skew check. Entries are kept in
 * insertion order with expiry = insertion time + a constant, so expired ones sit at the front and
 * pruning is cheap (assuming the clock does not run backwards).
 */
export class SeenNonces {
  private readonly expiries = new Map<string, number>();

  has(key: string, nowMs: number): boolean {
    this.prune(nowMs);
    return this.expiries.has(key);
  }

  remember(key: string, expiresAtMs: number): void {
    this.expiries.set(key, expiresAtMs);
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(nowMs: number): void {
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > nowMs) break;
      this.expiries.delete(key);
    }
  }
}

const FIELD_ORDER = ["client_token", "access_token", "timestamp", "nonce", "signature"] as const;

/** Parses `EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;nonce=…;signature=…`; undefined if malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const prefix = `${AUTH_SCHEME} `;
  if (!value.startsWith(prefix)) return undefined;
  const pairs = value.slice(prefix.length).split(";");
  if (pairs[pairs.length - 1] === "") pairs.pop();
  if (pairs.length !== FIELD_ORDER.length) return undefined;
  const fields: Record<string, string> = {};
  for (const [i, pair] of pairs.entries()) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq) !== FIELD_ORDER[i]) return undefined;
    const fieldValue = pair.slice(eq + 1);
    if (fieldValue === "") return undefined;
    fields[FIELD_ORDER[i] as string] = fieldValue;
  }
  return {
    clientToken: fields.client_token as string,
    accessToken: fields.access_token as string,
    timestamp: fields.timestamp as string,
    nonce: fields.nonce as string,
    signature: fields.signature as string,
  };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface VerifyInput {
  method: string;
  /** Request target as received, e.g. req.url of node:http. */
  pathAndQuery: string;
  /** Host header as received (host[:port]). */
  host: string;
  scheme: "http" | "https";
  headers: HeaderBag;
  body: SignableBody;
  lookupClient(clientToken: string): { clientSecret: string; accessToken: string } | undefined;
  now: Date;
  maxSkewSeconds: number;
  seenNonces: SeenNonces;
  headersToSign?: readonly string[];
  maxBody?: number;
}

function fail(reason: VerifyFailureReason, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}

export function verifyEdgeGridRequest(input: VerifyInput): VerifyResult {
  const raw = input.headers.authorization ?? input.headers.Authorization;
  if (typeof raw !== "string") return fail("malformed_header", "missing Authorization header");
  const auth = parseAuthorization(raw);
  if (!auth) {
    return fail(
      "malformed_header",
      `Authorization is not "${AUTH_SCHEME} client_token=…;access_token=…;timestamp=…;nonce=…;signature=…"`,
    );
  }
  const timestampMs = parseTimestamp(auth.timestamp);
  if (timestampMs === undefined) return fail("malformed_header", "timestamp is not yyyyMMddTHH:mm:ss+0000");

  const client = input.lookupClient(auth.clientToken);
  if (!client) return fail("unknown_client", "unknown client token");
  if (!sameText(client.accessToken, auth.accessToken))
    return fail("unknown_client", "access token does not belong to this client");

  const nowMs = input.now.getTime();
  if (Math.abs(nowMs - timestampMs) > input.maxSkewSeconds * 1000) {
    return fail("timestamp_skew", `timestamp is more than ${input.maxSkewSeconds} s away from server time`);
  }

  const maxBody = input.maxBody ?? DEFAULT_MAX_BODY;
  const signedWith = (hash: string): string =>
    computeSignature(
      client.clientSecret,
      auth.timestamp,
      dataToSign({
        method: input.method,
        scheme: input.scheme,
        host: input.host,
        pathAndQuery: input.pathAndQuery,
        canonicalHeaders: canonicalizeHeaders(input.headers, input.headersToSign ?? []),
        contentHash: hash,
        authHeader: unsignedAuthHeader(auth),
      }),
    );

  if (!sameText(signedWith(contentHash(input.method, input.body, maxBody)), auth.signature)) {
    // The client's content hash is not sent, so a body mismatch normally reads as a bad signature.
    // These are the hashes clients compute by mistake; if one of them verifies, everything but the
    // body hash was right, which is worth telling apart when debugging a client.
    const alternatives = [
      "", // body not hashed (e.g. lower-case "post" in akamai-edgegrid, reference §6 bug 1)
      contentHash("POST", input.body, Number.MAX_SAFE_INTEGER), // body not truncated
      contentHash("POST", input.body, DEFAULT_MAX_BODY), // truncated at the default, not this max_body
      contentHash("POST", input.body, maxBody), // body hashed for a method that is not POST
    ];
    const expected = contentHash(input.method, input.body, maxBody);
    for (const hash of new Set(alternatives)) {
      if (hash !== expected && sameText(signedWith(hash), auth.signature)) {
        return fail("content_hash_mismatch", "signature was computed over a different content hash than this body's");
      }
    }
    return fail("bad_signature", "The signature does not match");
  }

  const nonceKey = `${auth.clientToken} ${auth.nonce}`;
  if (input.seenNonces.has(nonceKey, nowMs)) return fail("replayed_nonce", "nonce was already used");
  // A timestamp passes the skew check until timestamp + skew <= now + 2 * skew.
  input.seenNonces.remember(nonceKey, nowMs + 2 * input.maxSkewSeconds * 1000);
  return { ok: true, clientToken: auth.clientToken };
}
