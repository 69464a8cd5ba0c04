/**
 * EdgeGrid EG1-HMAC-SHA256 request signing, written from the algorithm description in
 * shared/reference/akamai-apis.md §5 and checked against Akamai's official test vectors
 * (__tests__/fixtures/edgegrid/). Pure functions only: the caller supplies time and nonce
 * when it wants reproducible output. verify.ts reuses these functions for the server side.
 */
import { createHash, createHmac, randomUUID } from "node:crypto";
import type { EdgeGridCredentials } from "./credentials";

export const AUTH_SCHEME = "EG1-HMAC-SHA256";

/** Default number of body bytes that go into the content hash (reference §5 "max_body"). */
export const DEFAULT_MAX_BODY = 131072;

export type SignableBody = string | Uint8Array | undefined;

/** Header values as callers hold them; lookups by name are case-insensitive. */
export type HeaderBag = Record<string, string | string[] | number | undefined>;

/** `yyyyMMddTHH:mm:ss+0000` in UTC (not RFC 3339). */
export function formatTimestamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}+0000`
  );
}

const TIMESTAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})\+0000$/;

/** Inverse of formatTimestamp; returns epoch milliseconds, or undefined if the text is not a valid timestamp. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP_PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls over out-of-range parts (month 13, second 61); a round trip rejects them.
  return formatTimestamp(new Date(ms)) === text ? ms : undefined;
}

export function makeNonce(): string {
  return randomUUID();
}

export function base64Sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("base64");
}

export function base64HmacSha256(key: string, data: string): string {
  return createHmac("sha256", key).update(data, "utf8").digest("base64");
}

/** base64(HMAC-SHA256(key = client secret as UTF-8 text, msg = timestamp)); the secret is not base64-decoded. */
export function signingKey(clientSecret: string, timestamp: string): string {
  return base64HmacSha256(clientSecret, timestamp);
}

export function bodyBytes(body: SignableBody): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === "string" ? Buffer.from(body, "utf8") : body;
}

/**
 * base64(SHA-256(first maxBody bytes of the body)) for POST with a non-empty body; "" otherwise.
 * PUT and PATCH bodies are not hashed (vectors "PUT test", "PATCH test"). Truncation counts bytes,
 * not UTF-16 units (reference §5 pitfalls, akamai-edgegrid-node issue #52).
 */
export function contentHash(method: string, body: SignableBody, maxBody: number = DEFAULT_MAX_BODY): string {
  const bytes = bodyBytes(body);
  if (method.toUpperCase() !== "POST" || bytes.length === 0) return "";
  return base64Sha256(bytes.subarray(0, maxBody));
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(", ") : String(value);
  }
  return undefined;
}

/**
 * `lower(name):value` for each name in headersToSign (in that order) that the request carries,
 * value trimmed with inner whitespace runs collapsed to one space, joined by tabs.
 */
export function canonicalizeHeaders(headers: HeaderBag, headersToSign: readonly string[]): string {
  const parts: string[] = [];
  for (const name of headersToSign) {
    const value = headerValue(headers, name);
    if (value === undefined) continue;
    parts.push(`${name.toLowerCase()}:${value.trim().replace(/\s+/g, " ")}`);
  }
  return parts.join("\t");
}

export interface AuthFields {
  clientToken: string;
  accessToken: string;
  timestamp: string;
  nonce: string;
}

/** The Authorization value without its signature; it ends with ";" and is itself part of the signed data. */
export function unsignedAuthHeader(fields: AuthFields): string {
  return (
    `${AUTH_SCHEME} client_token=${fields.clientToken};access_token=${fields.accessToken};` +
    `timestamp=${fields.timestamp};nonce=${fields.nonce};`
  );
}

export interface DataToSignParts {
  method: string;
  /** "https" (or "http" for the loopback sandbox), without "://". */
  scheme: string;
  /** Host as sent in the Host header (with ":port" when not the default). */
  host: string;
  /** Request target exactly as sent on the wire, already percent-encoded, e.g. "/a/b;c?x=1". */
  pathAndQuery: string;
  canonicalHeaders: string;
  contentHash: string;
  authHeader: string;
}

export function dataToSign(parts: DataToSignParts): string {
  return [
    parts.method.toUpperCase(),
    parts.scheme,
    parts.host,
    parts.pathAndQuery,
    parts.canonicalHeaders,
    parts.contentHash,
    parts.authHeader,
  ].join("\t");
}

/** base64(HMAC-SHA256(key = signing key as its base64 text, msg = data to sign)). */
export function computeSignature(clientSecret: string, timestamp: string, data: string): string {
  return base64HmacSha256(signingKey(clientSecret, timestamp), data);
}

export interface SignRequestInput {
  method: string;
  /** Absolute URL of the request; its path and query are signed exactly as URL serializes them. */
  url: string | URL;
  headers?: HeaderBag;
  body?: SignableBody;
  credentials: Pick<EdgeGridCredentials, "clientToken" | "clientSecret" | "accessToken" | "maxBody">;
  /** Header names to include in the signature, in order. Akamai APIs used by edgeplane need none. */
  headersToSign?: readonly string[];
  /** Overrides credentials.maxBody; default 131072. */
  maxBody?: number;
  /** Formatted EdgeGrid timestamp; default: now. */
  timestamp?: string;
  /** Default: a fresh UUID v4. */
  nonce?: string;
}

/** Returns the value for the Authorization header. */
export function signRequest(input: SignRequestInput): string {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const timestamp = input.timestamp ?? formatTimestamp(new Date());
  const nonce = input.nonce ?? makeNonce();
  const maxBody = input.maxBody ?? input.credentials.maxBody ?? DEFAULT_MAX_BODY;
  const authHeader = unsignedAuthHeader({
    clientToken: input.credentials.clientToken,
    accessToken: input.credentials.accessToken,
    timestamp,
    nonce,
  });
  const data = dataToSign({
    method: input.method,
    scheme: url.protocol.replace(/:$/, ""),
    host: url.host,
    pathAndQuery: url.pathname + url.search,
    canonicalHeaders: canonicalizeHeaders(input.headers ?? {}, input.headersToSign ?? []),
    contentHash: contentHash(input.method, input.body, maxBody),
    authHeader,
  });
  return `${authHeader}signature=${computeSignature(input.credentials.clientSecret, timestamp, data)}`;
}
