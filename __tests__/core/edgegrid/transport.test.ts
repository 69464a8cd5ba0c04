import http from "node:http";
import type { AddressInfo } from "node:net";
import { EdgeGridHostError } from "../../../core/edgegrid/host-safety";
import {
  EdgeGridNetworkError,
  EdgeGridResponseFormatError,
  EdgeGridTransport,
  encodeBody,
} from "../../../core/edgegrid/transport";
import { LOOPBACK_ENV, TEST_CLIENT, startHarness, type Harness } from "../../helpers/sandbox-harness";

const PURGE_PATH = "/ccu/v3/invalidate/url/staging";

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the request to fail");
}

/** Everything an error could leak through: message, stack and own enumerable fields. */
function everythingIn(error: Error): string {
  return `${error.message}\n${error.stack ?? ""}\n${JSON.stringify(error)}`;
}

function expectNoSecrets(error: Error): void {
  const text = everythingIn(error);
  expect(text).not.toContain(TEST_CLIENT.clientSecret);
  expect(text).not.toContain(TEST_CLIENT.accessToken);
  expect(text).not.toContain("EG1-HMAC-SHA256");
  expect(text).not.toContain("signature=");
}

describe("EdgeGridTransport against the sandbox", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("signs a POST with a JSON object body and parses the JSON answer", async () => {
    const res = await h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ httpStatus: 201, detail: "Request accepted", estimatedSeconds: 5 });
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["x-ratelimit-remaining"]).toBe("99");
    expect(JSON.parse(res.rawBody.toString("utf8"))).toEqual(res.body);
    expect(h.sandbox.state.purges.map((p) => p.objects)).toEqual([["https://www.example.com/a"]]);
  });

  it("sends string and Buffer bodies as given", async () => {
    const asString = await h.transport.request({
      method: "POST",
      path: PURGE_PATH,
      body: '{"objects":["https://www.example.com/s"]}',
    });
    const asBuffer = await h.transport.request({
      method: "POST",
      path: PURGE_PATH,
      body: Buffer.from('{"objects":["https://www.example.com/b"]}'),
      headers: { "Content-Type": "application/json" },
    });
    expect([asString.status, asBuffer.status]).toEqual([201, 201]);
    expect(h.sandbox.state.purges.flatMap((p) => p.objects)).toEqual(["https://www.example.com/s", "https://www.example.com/b"]);
  });

  it("signs each request with a fresh nonce (identical requests are not replays)", async () => {
    const request = { method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] } };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await h.transport.request(request)).status);
    expect(statuses).toEqual([201, 201, 201]);
  });

  it("signs the query string (lower-case method is upper-cased)", async () => {
    const res = await h.transport.request({
      method: "post",
      path: "/ccu/v3/rate-limit-status/url",
      query: { a: "x y", b: [1, 2], skip: undefined },
    });
    expect(res.status).toBe(201);
    expect(h.sandbox.state.requests.at(-1)).toMatchObject({ method: "POST", path: "/ccu/v3/rate-limit-status/url", status: 201 });
  });

  it("returns 4xx/5xx/429 as responses, not errors", async () => {
    h.sandbox.setFaults([{ status: 503 }]);
    const unavailable = await h.transport.request({
      method: "POST",
      path: PURGE_PATH,
      body: { objects: ["https://www.example.com/a"] },
    });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers["content-type"]).toBe("application/problem+json");
    expect(unavailable.body).toMatchObject({ httpStatus: 503 });
    const badRequest = await h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: [] } });
    expect(badRequest.status).toBe(400);
  });

  it("gets a 401 problem when the secret is wrong, without echoing anything secret", async () => {
    const wrong = new EdgeGridTransport({
      credentials: { host: h.sandbox.url, ...TEST_CLIENT, clientSecret: "d3Jvbmctc2VjcmV0" },
      env: LOOPBACK_ENV,
      now: h.clock.now,
    });
    try {
      const res = await wrong.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        type: "https://problems.luna.akamaiapis.net/-/pep-authn/deny",
        title: "Not authorized",
        detail: "The signature does not match",
        status: 401,
        instance: `${h.sandbox.url}${PURGE_PATH}`,
      });
      expect(res.rawBody.toString()).not.toContain("signature=");
      expect(h.sandbox.state.purges).toHaveLength(0);
    } finally {
      wrong.close();
    }
  });

  it("uses the signing clock: a transport clock 31 s off is refused for skew", async () => {
    const skewed = new EdgeGridTransport({
      credentials: { host: h.sandbox.url, ...TEST_CLIENT },
      env: LOOPBACK_ENV,
      now: () => h.clock.now() - 31_000,
    });
    try {
      const res = await skewed.request({ method: "POST", path: "/ccu/v3/rate-limit-status/url" });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ detail: "Invalid timestamp" });
      expect(h.sandbox.state.requests.at(-1)).toMatchObject({ status: 401, authFailure: "timestamp_skew" });
    } finally {
      skewed.close();
    }
  });

  it("times out with a retryable network error when the answer is late", async () => {
    h.sandbox.setFaults([{ delayMs: 400 }]);
    const error = await caught(
      h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] }, timeoutMs: 50 }),
    );
    expect(error).toBeInstanceOf(EdgeGridNetworkError);
    expect(error).toMatchObject({ kind: "timeout", retryable: true, method: "POST", path: PURGE_PATH });
    expectNoSecrets(error);
    // The next request goes through on a new connection.
    const res = await h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/b"] } });
    expect(res.status).toBe(201);
  });

  it("reports a dropped connection as a retryable reset", async () => {
    h.sandbox.setFaults([{ dropConnection: true }]);
    const error = await caught(
      h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] } }),
    );
    expect(error).toBeInstanceOf(EdgeGridNetworkError);
    expect(error).toMatchObject({ kind: "reset", retryable: true });
    expectNoSecrets(error);
    expect(h.sandbox.state.purges).toHaveLength(0);
    expect(h.sandbox.state.requests).toEqual([
      { method: "POST", path: PURGE_PATH, status: "dropped", fault: "dropConnection=true" },
    ]);
  });

  it("throws EdgeGridResponseFormatError for malformed JSON, keeping the status", async () => {
    h.sandbox.setFaults([{ malformedJson: true }]);
    const error = await caught(
      h.transport.request({ method: "POST", path: PURGE_PATH, body: { objects: ["https://www.example.com/a"] } }),
    );
    expect(error).toBeInstanceOf(EdgeGridResponseFormatError);
    expect(error).toMatchObject({ status: 201, method: "POST", path: PURGE_PATH });
    expect((error as EdgeGridResponseFormatError).headers["x-ratelimit-remaining"]).toBe("99");
    expectNoSecrets(error);
    // The purge itself was accepted: the client must treat this as "maybe done".
    expect(h.sandbox.state.purges).toHaveLength(1);
  });

  it("does not put the query string into errors", async () => {
    h.sandbox.setFaults([{ dropConnection: true }]);
    const error = await caught(h.transport.request({ method: "GET", path: "/x", query: { token: "do-not-log" } }));
    expect(everythingIn(error)).not.toContain("do-not-log");
  });
});

describe("EdgeGridTransport without a sandbox", () => {
  it("reports a refused connection as retryable", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const transport = new EdgeGridTransport({
      credentials: { host: `http://127.0.0.1:${port}`, ...TEST_CLIENT },
      env: LOOPBACK_ENV,
    });
    try {
      const error = await caught(transport.request({ method: "GET", path: "/x" }));
      expect(error).toBeInstanceOf(EdgeGridNetworkError);
      expect(error).toMatchObject({ kind: "refused", retryable: true, code: "ECONNREFUSED" });
      expectNoSecrets(error);
    } finally {
      transport.close();
    }
  });

  it("reports a connection cut mid-response as a reset", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
      res.write('{"partial":');
      setImmediate(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const transport = new EdgeGridTransport({
      credentials: { host: `http://127.0.0.1:${port}`, ...TEST_CLIENT },
      env: LOOPBACK_ENV,
    });
    try {
      const error = await caught(transport.request({ method: "GET", path: "/x" }));
      expect(error).toBeInstanceOf(EdgeGridNetworkError);
      expect(error).toMatchObject({ kind: "reset" });
    } finally {
      transport.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("returns non-JSON bodies as text and empty JSON bodies as undefined", async () => {
    const server = http.createServer((req, res) => {
      if (req.url === "/text") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("hello");
      } else {
        res.writeHead(204, { "Content-Type": "application/json" });
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const transport = new EdgeGridTransport({
      credentials: { host: `http://127.0.0.1:${port}`, ...TEST_CLIENT },
      env: LOOPBACK_ENV,
    });
    try {
      expect((await transport.request({ method: "GET", path: "/text" })).body).toBe("hello");
      const empty = await transport.request({ method: "DELETE", path: "/empty" });
      expect(empty.status).toBe(204);
      expect(empty.body).toBeUndefined();
    } finally {
      transport.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("refuses a host outside akamaiapis.net before sending anything", () => {
    expect(() => new EdgeGridTransport({ credentials: { host: "http://127.0.0.1:1", ...TEST_CLIENT }, env: {} })).toThrow(
      EdgeGridHostError,
    );
    expect(() => new EdgeGridTransport({ credentials: { host: "evil.example", ...TEST_CLIENT }, env: LOOPBACK_ENV })).toThrow(
      EdgeGridHostError,
    );
  });

  it("keeps every request on the credential host", () => {
    const transport = new EdgeGridTransport({ credentials: { host: "akab-x.luna.akamaiapis.net", ...TEST_CLIENT }, env: {} });
    try {
      expect(() => transport.buildUrl("//evil.example/x")).toThrow(TypeError);
      expect(() => transport.buildUrl("https://evil.example/x")).toThrow(TypeError);
      expect(() => transport.buildUrl("relative")).toThrow(TypeError);
      expect(transport.buildUrl("/a b/c", { q: "x y" }).href).toBe("https://akab-x.luna.akamaiapis.net/a%20b/c?q=x+y");
      expect(transport.buildUrl("/a?x=1", new URLSearchParams({ y: "2" })).href).toBe(
        "https://akab-x.luna.akamaiapis.net/a?x=1&y=2",
      );
    } finally {
      transport.close();
    }
  });
});

describe("encodeBody", () => {
  it("picks content types by body kind", () => {
    expect(encodeBody(undefined)).toEqual({ bytes: undefined, contentType: undefined });
    expect(encodeBody({ a: 1 })).toEqual({ bytes: Buffer.from('{"a":1}'), contentType: "application/json" });
    expect(encodeBody("[1]")).toEqual({ bytes: Buffer.from("[1]"), contentType: "application/json" });
    expect(encodeBody(Buffer.from([1, 2]))).toEqual({ bytes: Buffer.from([1, 2]), contentType: "application/octet-stream" });
  });
});
