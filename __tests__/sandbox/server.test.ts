import http from "node:http";
import { EdgeGridNetworkError } from "../../core/edgegrid/transport";
import { formatTimestamp, signRequest } from "../../core/edgegrid/sign";
import { startSandbox } from "../../sandbox/server";
import { TEST_CLIENT, startHarness, type Harness } from "../helpers/sandbox-harness";

const PURGE = "/ccu/v3/invalidate/url/production";
const body = (n: number) => ({ objects: [`https://www.example.com/${n}`] });

/** Sends a request exactly as given (for replays and hand-made headers). */
function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  payload = "",
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      { method, headers: { ...headers, "Content-Length": String(Buffer.byteLength(payload)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "null") }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("sandbox server", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  describe("authentication", () => {
    const signedHeaders = (payload: string, nonce: string) => ({
      "Content-Type": "application/json",
      Authorization: signRequest({
        method: "POST",
        url: `${h.sandbox.url}${PURGE}`,
        body: payload,
        credentials: TEST_CLIENT,
        timestamp: formatTimestamp(new Date(h.clock.now())),
        nonce,
      }),
    });

    it("accepts a hand-signed request and refuses its replay with 401", async () => {
      const payload = JSON.stringify(body(1));
      const headers = signedHeaders(payload, "replay-me");
      expect((await rawRequest(h.sandbox.url, "POST", PURGE, headers, payload)).status).toBe(201);
      const replay = await rawRequest(h.sandbox.url, "POST", PURGE, headers, payload);
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({
        status: 401,
        title: "Not authorized",
        detail: "Invalid authorization nonce (already used)",
      });
      expect(h.sandbox.state.purges).toHaveLength(1);
      expect(h.sandbox.state.requests.map((r) => r.authFailure)).toEqual([undefined, "replayed_nonce"]);
    });

    it("refuses a missing header, an unknown client and a changed body", async () => {
      const payload = JSON.stringify(body(1));
      expect(await rawRequest(h.sandbox.url, "POST", PURGE, { "Content-Type": "application/json" }, payload)).toMatchObject({
        status: 401,
        body: { detail: "Invalid authorization header" },
      });
      const stranger = signRequest({
        method: "POST",
        url: `${h.sandbox.url}${PURGE}`,
        body: payload,
        credentials: { ...TEST_CLIENT, clientToken: "akab-stranger" },
        timestamp: formatTimestamp(new Date(h.clock.now())),
      });
      expect(
        await rawRequest(h.sandbox.url, "POST", PURGE, { "Content-Type": "application/json", Authorization: stranger }, payload),
      ).toMatchObject({
        status: 401,
        body: { detail: "Invalid authorization client token" },
      });
      const changed = await rawRequest(h.sandbox.url, "POST", PURGE, signedHeaders(payload, "n2"), JSON.stringify(body(2)));
      expect(changed).toMatchObject({ status: 401, body: { detail: "The signature does not match" } });
      expect(h.sandbox.state.requests.map((r) => r.authFailure)).toEqual(["malformed_header", "unknown_client", "bad_signature"]);
      expect(h.sandbox.state.purges).toHaveLength(0);
    });

    it("allows 30 s of clock skew", async () => {
      h.clock.advance(30_000);
      const payload = JSON.stringify(body(1));
      // Signed 30 s ago by the sandbox's clock: still fine. 31 s: refused.
      const sign = (ageMs: number, nonce: string) => ({
        "Content-Type": "application/json",
        Authorization: signRequest({
          method: "POST",
          url: `${h.sandbox.url}${PURGE}`,
          body: payload,
          credentials: TEST_CLIENT,
          timestamp: formatTimestamp(new Date(h.clock.now() - ageMs)),
          nonce,
        }),
      });
      expect((await rawRequest(h.sandbox.url, "POST", PURGE, sign(30_000, "a"), payload)).status).toBe(201);
      expect(await rawRequest(h.sandbox.url, "POST", PURGE, sign(31_000, "b"), payload)).toMatchObject({
        status: 401,
        body: { detail: "Invalid timestamp" },
      });
    });
  });

  describe("faults", () => {
    it("answers the given status for the next N requests under a path prefix, without processing them", async () => {
      h.sandbox.setFaults([{ pathPrefix: "/ccu/v3/invalidate/", times: 2, status: 503 }]);
      // A path outside the prefix is not affected and does not use up the rule.
      expect((await h.transport.request({ method: "POST", path: "/ccu/v3/delete/url", body: body(0) })).status).toBe(201);
      const statuses = [];
      for (let i = 1; i <= 3; i++)
        statuses.push((await h.transport.request({ method: "POST", path: PURGE, body: body(i) })).status);
      expect(statuses).toEqual([503, 503, 201]);
      expect(h.sandbox.state.purges.flatMap((p) => p.objects)).toEqual([body(0).objects[0], body(3).objects[0]]);
      expect(h.sandbox.pendingFaults()).toEqual([]);
      // Faulted requests took no tokens: 2 accepted purges, 2 tokens gone.
      const status = await h.transport.request({ method: "POST", path: "/ccu/v3/rate-limit-status/url" });
      expect(status.headers["x-ratelimit-remaining"]).toBe("98");
      expect(h.sandbox.state.requests.filter((r) => r.fault === "status=503")).toHaveLength(2);
    });

    it("applies rules in order and counts their uses", async () => {
      h.sandbox.setFaults([
        { pathPrefix: "/ccu/v3/delete", status: 500 },
        { times: 3, status: 502 },
      ]);
      expect((await h.transport.request({ method: "POST", path: PURGE, body: body(1) })).status).toBe(502);
      expect(h.sandbox.pendingFaults()).toEqual([
        { pathPrefix: "/ccu/v3/delete", status: 500, remaining: 1 },
        { times: 3, status: 502, remaining: 2 },
      ]);
      expect((await h.transport.request({ method: "POST", path: "/ccu/v3/delete/url", body: body(2) })).status).toBe(500);
    });

    it("does not process a delayed request whose client gave up", async () => {
      h.sandbox.setFaults([{ delayMs: 300 }]);
      await expect(h.transport.request({ method: "POST", path: PURGE, body: body(1), timeoutMs: 30 })).rejects.toBeInstanceOf(
        EdgeGridNetworkError,
      );
      // Wait (without asserting on time) until the sandbox has finished with the delayed request.
      for (let i = 0; i < 100 && h.sandbox.state.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(h.sandbox.state.requests).toEqual([
        { method: "POST", path: PURGE, status: "dropped", fault: "delayMs=300 (client left)" },
      ]);
      expect(h.sandbox.state.purges).toHaveLength(0);
    });

    it("processes a delayed request normally when the client waits", async () => {
      h.sandbox.setFaults([{ delayMs: 30 }]);
      expect((await h.transport.request({ method: "POST", path: PURGE, body: body(1) })).status).toBe(201);
      expect(h.sandbox.state.purges).toHaveLength(1);
    });

    it("refuses a fault status that is not an HTTP status", () => {
      expect(() => h.sandbox.setFaults([{ status: 5000 }])).toThrow(RangeError);
    });
  });
});

describe("startSandbox", () => {
  it("only listens on loopback", async () => {
    await expect(startSandbox({ host: "0.0.0.0", clients: [] })).rejects.toThrow(RangeError);
  });

  it("refuses a non-positive timeScale", async () => {
    await expect(startSandbox({ clients: [], timeScale: 0 })).rejects.toThrow(RangeError);
  });

  it("reports a port already in use", async () => {
    const first = await startSandbox({ clients: [] });
    try {
      await expect(startSandbox({ clients: [], port: first.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await first.close();
    }
  });
});
