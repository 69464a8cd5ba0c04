import { contentHash, formatTimestamp, signRequest } from "../../../core/edgegrid/sign";
import { SeenNonces, parseAuthorization, verifyEdgeGridRequest, type VerifyInput } from "../../../core/edgegrid/verify";

const client = { clientToken: "akab-client-1", clientSecret: "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", accessToken: "akab-access-1" };
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOST = "127.0.0.1:8080";
const BODY = '{"objects":["https://www.example.com/a"]}';

function signed(
  overrides: {
    method?: string;
    path?: string;
    body?: string;
    timestampMs?: number;
    nonce?: string;
    secret?: string;
    maxBody?: number;
  } = {},
): string {
  return signRequest({
    method: overrides.method ?? "POST",
    url: `http://${HOST}${overrides.path ?? "/ccu/v3/invalidate/url"}`,
    body: overrides.body ?? BODY,
    credentials: { ...client, clientSecret: overrides.secret ?? client.clientSecret },
    timestamp: formatTimestamp(new Date(overrides.timestampMs ?? NOW)),
    nonce: overrides.nonce ?? "nonce-1",
    ...(overrides.maxBody !== undefined ? { maxBody: overrides.maxBody } : {}),
  });
}

function input(authorization: string | undefined, overrides: Partial<VerifyInput> = {}): VerifyInput {
  return {
    method: "POST",
    pathAndQuery: "/ccu/v3/invalidate/url",
    host: HOST,
    scheme: "http",
    headers: authorization === undefined ? {} : { authorization },
    body: BODY,
    lookupClient: (token) => (token === client.clientToken ? client : undefined),
    now: new Date(NOW),
    maxSkewSeconds: 30,
    seenNonces: new SeenNonces(),
    ...overrides,
  };
}

describe("verifyEdgeGridRequest", () => {
  it("accepts a correctly signed request", () => {
    expect(verifyEdgeGridRequest(input(signed()))).toEqual({ ok: true, clientToken: client.clientToken });
  });

  it("accepts requests signed by the transport's signer for every method", () => {
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const body = method === "GET" ? "" : BODY;
      expect(verifyEdgeGridRequest(input(signed({ method, body }), { method, body })).ok).toBe(true);
    }
  });

  it.each([
    ["no header", undefined],
    ["other scheme", "Bearer abc"],
    ["missing signature", "EG1-HMAC-SHA256 client_token=a;access_token=b;timestamp=20250601T12:00:00+0000;nonce=n;"],
    ["fields out of order", "EG1-HMAC-SHA256 access_token=b;client_token=a;timestamp=20250601T12:00:00+0000;nonce=n;signature=s"],
    ["bad timestamp", "EG1-HMAC-SHA256 client_token=a;access_token=b;timestamp=2025-06-01T12:00:00Z;nonce=n;signature=s"],
    ["empty nonce", "EG1-HMAC-SHA256 client_token=a;access_token=b;timestamp=20250601T12:00:00+0000;nonce=;signature=s"],
  ])("rejects a malformed header: %s", (_name, header) => {
    expect(verifyEdgeGridRequest(input(header))).toMatchObject({ ok: false, reason: "malformed_header" });
  });

  it("rejects an unknown client token", () => {
    const result = verifyEdgeGridRequest(input(signed(), { lookupClient: () => undefined }));
    expect(result).toMatchObject({ ok: false, reason: "unknown_client" });
  });

  it("rejects an access token that belongs to another client", () => {
    const header = signed().replace("access_token=akab-access-1", "access_token=akab-access-2");
    expect(verifyEdgeGridRequest(input(header))).toMatchObject({ ok: false, reason: "unknown_client" });
  });

  it("rejects a signature made with another secret", () => {
    expect(verifyEdgeGridRequest(input(signed({ secret: "d3Jvbmctc2VjcmV0" })))).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("rejects a request whose path, host or method differ from what was signed", () => {
    expect(verifyEdgeGridRequest(input(signed(), { pathAndQuery: "/ccu/v3/delete/url" }))).toMatchObject({
      reason: "bad_signature",
    });
    expect(verifyEdgeGridRequest(input(signed(), { host: "127.0.0.1:8081" }))).toMatchObject({ reason: "bad_signature" });
    expect(verifyEdgeGridRequest(input(signed(), { scheme: "https" }))).toMatchObject({ reason: "bad_signature" });
  });

  it("rejects a tampered body as a bad signature (the client's hash is not sent)", () => {
    const result = verifyEdgeGridRequest(input(signed(), { body: '{"objects":["https://www.example.com/b"]}' }));
    expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("reports content_hash_mismatch when the client signed without hashing the body", () => {
    // akamai-edgegrid does this for method "post" (reference §6 bug 1): upper-case method, empty content hash.
    const unhashed = signRequest({
      method: "POST",
      url: `http://${HOST}/ccu/v3/invalidate/url`,
      body: undefined,
      credentials: client,
      timestamp: formatTimestamp(new Date(NOW)),
      nonce: "nonce-1",
    });
    expect(verifyEdgeGridRequest(input(unhashed))).toMatchObject({ ok: false, reason: "content_hash_mismatch" });
  });

  it("reports content_hash_mismatch when the client hashed more than max_body", () => {
    const body = "x".repeat(200);
    const header = signed({ body, maxBody: 1000 });
    expect(verifyEdgeGridRequest(input(header, { body, maxBody: 100 }))).toMatchObject({
      ok: false,
      reason: "content_hash_mismatch",
    });
    expect(verifyEdgeGridRequest(input(header, { body, maxBody: 1000 })).ok).toBe(true);
    expect(contentHash("POST", body, 100)).not.toBe(contentHash("POST", body, 1000));
  });

  it("rejects timestamps more than maxSkewSeconds away, either way", () => {
    const late = signed({ timestampMs: NOW - 31_000 });
    const early = signed({ timestampMs: NOW + 31_000, nonce: "nonce-2" });
    expect(verifyEdgeGridRequest(input(late))).toMatchObject({ ok: false, reason: "timestamp_skew" });
    expect(verifyEdgeGridRequest(input(early))).toMatchObject({ ok: false, reason: "timestamp_skew" });
    expect(verifyEdgeGridRequest(input(signed({ timestampMs: NOW - 30_000 }))).ok).toBe(true);
  });

  it("rejects a replayed nonce, per client, and forgets it after the skew window", () => {
    const seenNonces = new SeenNonces();
    const header = signed();
    expect(verifyEdgeGridRequest(input(header, { seenNonces })).ok).toBe(true);
    expect(verifyEdgeGridRequest(input(header, { seenNonces }))).toMatchObject({ ok: false, reason: "replayed_nonce" });
    // A new nonce is fine.
    expect(verifyEdgeGridRequest(input(signed({ nonce: "nonce-3" }), { seenNonces })).ok).toBe(true);
    // After 2 * skew the old request is rejected for its timestamp anyway, and the nonce is forgotten.
    const later = new Date(NOW + 61_000);
    expect(verifyEdgeGridRequest(input(header, { seenNonces, now: later }))).toMatchObject({ reason: "timestamp_skew" });
    expect(seenNonces.has(`${client.clientToken} nonce-1`, later.getTime())).toBe(false);
  });

  it("does not remember nonces of rejected requests", () => {
    const seenNonces = new SeenNonces();
    verifyEdgeGridRequest(input(signed({ secret: "d3Jvbmc=" }), { seenNonces }));
    expect(seenNonces.size).toBe(0);
    expect(verifyEdgeGridRequest(input(signed(), { seenNonces })).ok).toBe(true);
  });

  it("never puts the signature, secret or tokens into the detail", () => {
    const header = signed({ secret: "d3Jvbmc=" });
    const signature = parseAuthorization(header)?.signature as string;
    const result = verifyEdgeGridRequest(input(header));
    expect(result.ok).toBe(false);
    const detail = result.ok ? "" : result.detail;
    for (const value of [signature, client.clientSecret, client.clientToken, client.accessToken])
      expect(detail).not.toContain(value);
  });
});

describe("parseAuthorization", () => {
  it("splits the fields (signatures contain '=')", () => {
    expect(parseAuthorization("EG1-HMAC-SHA256 client_token=a;access_token=b;timestamp=t;nonce=n;signature=s+/=")).toEqual({
      clientToken: "a",
      accessToken: "b",
      timestamp: "t",
      nonce: "n",
      signature: "s+/=",
    });
  });
});

describe("SeenNonces", () => {
  it("prunes expired entries", () => {
    const nonces = new SeenNonces();
    nonces.remember("a", 100);
    nonces.remember("b", 200);
    expect(nonces.has("a", 99)).toBe(true);
    expect(nonces.has("a", 100)).toBe(false);
    expect(nonces.size).toBe(1);
    expect(nonces.has("b", 150)).toBe(true);
  });
});
