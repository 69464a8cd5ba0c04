import { dirname, join } from "node:path";
import fc from "fast-check";
import {
  DEFAULT_MAX_BODY,
  canonicalizeHeaders,
  contentHash,
  dataToSign,
  formatTimestamp,
  parseTimestamp,
  signRequest,
  signingKey,
  unsignedAuthHeader,
} from "../../../core/edgegrid/sign";
import { readFixture, vectorCases, vectorConfig, type VectorCase } from "./fixtures";

const config = vectorConfig();
const credentials = {
  clientToken: config.client_token,
  clientSecret: config.client_secret,
  accessToken: config.access_token,
};

function headersOf(vector: VectorCase): Record<string, string> {
  return Object.assign({}, ...(vector.request.headers ?? [])) as Record<string, string>;
}

describe("official EdgeGrid vectors (python/testcases.json)", () => {
  const cases = vectorCases();

  it("loads all 15 cases", () => {
    expect(cases).toHaveLength(15);
  });

  it.each(cases.map((c) => [c.testName, c] as const))("%s: Authorization", (_name, vector) => {
    const authorization = signRequest({
      method: vector.request.method,
      url: new URL(vector.request.path, config.base_url),
      headers: headersOf(vector),
      body: vector.request.data,
      credentials,
      headersToSign: config.headers_to_sign,
      maxBody: config.max_body,
      timestamp: config.timestamp,
      nonce: config.nonce,
    });
    expect(authorization).toBe(vector.expectedAuthorization);
  });

  const withData = cases.filter((c) => c.expectedDataToSign !== undefined);
  it("has 14 cases with expectedDataToSign", () => {
    expect(withData).toHaveLength(14);
  });

  it.each(withData.map((c) => [c.testName, c] as const))("%s: data to sign", (_name, vector) => {
    const url = new URL(vector.request.path, config.base_url);
    const authHeader = unsignedAuthHeader({ ...credentials, timestamp: config.timestamp, nonce: config.nonce });
    const data = dataToSign({
      method: vector.request.method,
      scheme: "https",
      host: url.host,
      pathAndQuery: url.pathname + url.search,
      canonicalHeaders: canonicalizeHeaders(headersOf(vector), config.headers_to_sign),
      contentHash: contentHash(vector.request.method, vector.request.data, config.max_body),
      authHeader,
    });
    // The file's expected string stops before the auth header (fixtures README).
    expect(data).toBe(`${vector.expectedDataToSign}${authHeader}`);
  });
});

describe("extra vectors (python/testdata.json)", () => {
  it("sign_key_test", () => {
    expect(signingKey(config.client_secret, config.timestamp)).toBe(config.sign_key_test);
  });

  it("content_hash_test", () => {
    expect(contentHash("POST", "test_body")).toBe(config.content_hash_test);
  });

  it("jsontest_hash: JSON body, default max_body, no signed headers", () => {
    const authorization = signRequest({
      method: "POST",
      url: new URL("/testapi/v1/t3?extended=true", config.base_url),
      body: '{"key": "value"}',
      credentials,
      timestamp: config.timestamp,
      nonce: config.nonce,
    });
    expect(authorization).toBe(config.jsontest_hash);
  });

  it("multipart_hash_test: multipart/form-data body", () => {
    const file = readFixture("python/sample_file.txt");
    const boundary = "multipart_boundary";
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="foo"\r\n\r\nbar\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="baz"; filename="sample_file.txt"\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const authorization = signRequest({
      method: "POST",
      url: new URL("/testapi/v1/t3?extended=true", config.base_url),
      body,
      credentials,
      timestamp: config.timestamp,
      nonce: config.nonce,
    });
    expect(authorization).toBe(config.multipart_hash_test);
  });
});

describe("sign.ts details", () => {
  it("formats and parses timestamps in UTC", () => {
    expect(formatTimestamp(new Date(Date.UTC(2014, 2, 21, 19, 34, 21)))).toBe("20140321T19:34:21+0000");
    expect(parseTimestamp("20140321T19:34:21+0000")).toBe(Date.UTC(2014, 2, 21, 19, 34, 21));
    expect(parseTimestamp("2014-03-21T19:34:21Z")).toBeUndefined();
    expect(parseTimestamp("20141321T19:34:21+0000")).toBeUndefined();
    expect(parseTimestamp("20140321T19:34:61+0000")).toBeUndefined();
  });

  it("round-trips any second-resolution time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (seconds) => {
        expect(parseTimestamp(formatTimestamp(new Date(seconds * 1000)))).toBe(seconds * 1000);
      }),
    );
  });

  it("truncates the hashed body by bytes, not characters", () => {
    // 3-byte characters: 100 of them are 300 bytes; a 10-byte limit cuts inside the 4th character.
    const body = "€".repeat(100);
    const bytes = Buffer.from(body, "utf8");
    expect(contentHash("POST", body, 10)).toBe(contentHash("POST", bytes.subarray(0, 10), 10));
    expect(contentHash("POST", body, 10)).not.toBe(contentHash("POST", body.slice(0, 10), DEFAULT_MAX_BODY));
  });

  it("hashes POST bodies only, whatever the method's case", () => {
    expect(contentHash("post", "x")).toBe(contentHash("POST", "x"));
    expect(contentHash("POST", "x")).not.toBe("");
    expect(contentHash("PUT", "x")).toBe("");
    expect(contentHash("POST", "")).toBe("");
    expect(contentHash("POST", undefined)).toBe("");
  });

  it("upper-cases the method in the signed data", () => {
    const common = { url: "https://a.luna.akamaiapis.net/x", credentials, timestamp: config.timestamp, nonce: config.nonce };
    expect(signRequest({ ...common, method: "post", body: "b" })).toBe(signRequest({ ...common, method: "POST", body: "b" }));
  });

  it("uses credentials.maxBody unless maxBody is given", () => {
    const common = {
      method: "POST",
      url: "https://a.luna.akamaiapis.net/x",
      body: "abcdef",
      timestamp: config.timestamp,
      nonce: config.nonce,
    };
    const short = signRequest({ ...common, credentials: { ...credentials, maxBody: 3 } });
    expect(short).toBe(signRequest({ ...common, body: "abc", credentials }));
    expect(signRequest({ ...common, credentials: { ...credentials, maxBody: 3 }, maxBody: 6 })).toBe(
      signRequest({ ...common, credentials }),
    );
  });

  it("gives a fresh nonce and a current timestamp by default", () => {
    const input = { method: "GET", url: "https://a.luna.akamaiapis.net/x", credentials };
    const a = signRequest(input);
    const b = signRequest(input);
    expect(a).not.toBe(b);
    expect(a).toMatch(/;timestamp=\d{8}T\d{2}:\d{2}:\d{2}\+0000;nonce=[0-9a-f-]{36};signature=/);
  });
});

describe("cross-check with akamai-edgegrid's own signer", () => {
  type GenerateAuth = (
    request: {
      path: string;
      method: string;
      headers: Record<string, string>;
      body?: string;
      headersToSign?: Record<string, string>;
    },
    clientToken: string,
    clientSecret: string,
    accessToken: string,
    host: string,
    maxBody: number | undefined,
    guid: string,
    timestamp: string,
  ) => { headers: { Authorization: string } };

  // The package's "exports" map only exposes index.js; its signer is generateAuth in src/auth.js.
  const authModule = require(join(dirname(require.resolve("akamai-edgegrid")), "src", "auth.js")) as {
    generateAuth: GenerateAuth;
  };
  const host = "https://akab-abcdefgh-ijklmnop.luna.akamaiapis.net";

  const token = fc.stringMatching(/^akab-[a-z0-9]{8}-[a-z0-9]{8}$/);
  const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
  const queryPair = fc
    .tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/))
    .map(([k, v]) => `${k}=${v}`);
  const request = fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
    path: fc
      .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.array(queryPair, { maxLength: 3 }))
      .map(([segments, query]) => `/${segments.join("/")}${query.length > 0 ? `?${query.join("&")}` : ""}`),
    // ASCII bodies (akamai-edgegrid truncates UTF-16 units, which only agrees with bytes for ASCII), sometimes over 131072.
    body: fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 300 }),
      fc.integer({ min: 131000, max: 131200 }).map((n) => "a".repeat(n)),
    ),
    signed: fc.uniqueArray(
      fc.tuple(fc.constantFrom("X-One", "X-Two", "X-Three"), fc.stringMatching(/^ ?[a-z]{1,5}( {1,3}[a-z]{1,5})? ?$/)),
      { selector: ([name]) => name, maxLength: 3 },
    ),
    clientToken: token,
    accessToken: token,
    clientSecret: fc.base64String({ minLength: 44, maxLength: 44 }),
    seconds: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
    nonce: fc.uuid(),
  });

  it("produces the same Authorization for the same timestamp and nonce", () => {
    fc.assert(
      fc.property(request, (r) => {
        const timestamp = formatTimestamp(new Date(r.seconds * 1000));
        const signedHeaders = Object.fromEntries(r.signed);
        const theirs = authModule.generateAuth(
          {
            path: r.path,
            method: r.method,
            headers: { "Content-Type": "application/json", ...signedHeaders },
            body: r.body,
            headersToSign: signedHeaders,
          },
          r.clientToken,
          r.clientSecret,
          r.accessToken,
          host,
          undefined,
          r.nonce,
          timestamp,
        ).headers.Authorization;
        const ours = signRequest({
          method: r.method,
          url: new URL(r.path, host),
          headers: signedHeaders,
          body: r.body,
          credentials: { clientToken: r.clientToken, clientSecret: r.clientSecret, accessToken: r.accessToken },
          headersToSign: r.signed.map(([name]) => name),
          timestamp,
          nonce: r.nonce,
        });
        expect(ours).toBe(theirs);
      }),
      { numRuns: 200 },
    );
  });
});
