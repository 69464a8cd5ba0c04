/** The Fastly purge emulator over HTTP on 127.0.0.1: auth and scopes, the key limits, error bodies, rate limit, faults. */
import {
  FASTLY_TOO_MANY_KEYS_REASON,
  fastlyPurgedObjects,
  startFastlyEmulator,
  type FastlyEmulator,
  type FastlyEmulatorOptions,
} from "../../sandbox/fastly";
import { fakeClock, type FakeClock } from "../helpers/sandbox-harness";

const SERVICE = "SU1Z0isxPaozGVKXdv0eY";
const OTHER_SERVICE = "OTHERsvc0000000000001";
const AUTH_SERVICE = "AUTHsvc00000000000001";
const TOKENS = {
  select: "fastly-select-token",
  all: "fastly-purge-all-token",
  global: "fastly-global-token",
  readOnly: "fastly-read-token",
  otherService: "fastly-other-service-token",
  expiring: "fastly-expiring-token",
};

let clock: FakeClock;
/** Emulators started in one test share the test's clock. */
async function start(extra: Partial<FastlyEmulatorOptions> = {}): Promise<FastlyEmulator> {
  return startFastlyEmulator({
    services: [
      { id: SERVICE, hosts: ["www.example.com"] },
      { id: OTHER_SERVICE, hosts: ["other.example.com"] },
      { id: AUTH_SERVICE, hosts: ["secure.example.com"], purgeRequiresAuth: true },
    ],
    tokens: [
      { token: TOKENS.select, scope: "purge_select", id: "tokSelect" },
      { token: TOKENS.all, scope: "purge_all", services: [SERVICE] },
      { token: TOKENS.global, scope: "global" },
      { token: TOKENS.readOnly, scope: "global:read" },
      { token: TOKENS.otherService, scope: "purge_select", services: [OTHER_SERVICE] },
      { token: TOKENS.expiring, scope: "purge_select", expiresAtMs: clock.now() + 60_000, name: "ci" },
    ],
    now: clock.now,
    ...extra,
  });
}

async function call(emulator: FastlyEmulator, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { Accept: "application/json", ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

const keys = (n: number, prefix = "k"): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("Fastly emulator", () => {
  let emulator: FastlyEmulator;
  beforeEach(async () => {
    clock = fakeClock();
    emulator = await start();
  });
  afterEach(async () => {
    await emulator.close();
  });

  describe("URL purge", () => {
    it("purges a URL without a token (the default) and answers with a purge id", async () => {
      const res = await call(emulator, "POST", "/purge/www.example.com/a/b.css?v=1");
      expect(res).toMatchObject({ status: 200, body: { status: "ok", id: expect.stringMatching(/^\d+-\d+-\d+$/) } });
      expect(emulator.state.purges).toEqual([
        expect.objectContaining({ kind: "url", serviceId: SERVICE, objects: ["www.example.com/a/b.css?v=1"], soft: false }),
      ]);
      expect(emulator.state.purges[0]?.tokenId).toBeUndefined();
    });

    it("needs a purge_select token on a service that requires purge auth", async () => {
      expect(await call(emulator, "POST", "/purge/secure.example.com/x")).toMatchObject({
        status: 401,
        body: { msg: "Provided credentials are missing or invalid" },
      });
      expect((await call(emulator, "POST", "/purge/secure.example.com/x", { "Fastly-Key": TOKENS.otherService })).status).toBe(
        403,
      );
      expect(
        (await call(emulator, "POST", "/purge/secure.example.com/x", { "Fastly-Key": TOKENS.select, "Fastly-Soft-Purge": "1" }))
          .status,
      ).toBe(200);
      expect(fastlyPurgedObjects(emulator.state, { kind: "url", soft: true })).toEqual(["secure.example.com/x"]);
      expect(emulator.state.requests.map((r) => r.authFailure)).toEqual(["missing_token", "forbidden", undefined]);
    });

    it("refuses a URL with a scheme", async () => {
      expect(await call(emulator, "POST", "/purge/https://www.example.com/a")).toMatchObject({
        status: 400,
        body: { status: "fail", reason: expect.stringContaining("no scheme") },
      });
    });
  });

  describe("surrogate keys", () => {
    it("purges keys in bulk from a JSON body and answers a map of key to purge id", async () => {
      const res = await call(
        emulator,
        "POST",
        `/service/${SERVICE}/purge`,
        { "Fastly-Key": TOKENS.select, "Content-Type": "application/json" },
        JSON.stringify({ surrogate_keys: ["a", "b"] }),
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body ?? {})).toEqual(["a", "b"]);
      expect(Object.values(res.body ?? {})).toEqual([
        expect.stringMatching(/^\d+-\d+-\d+$/),
        expect.stringMatching(/^\d+-\d+-\d+$/),
      ]);
      expect(fastlyPurgedObjects(emulator.state, { kind: "key", serviceId: SERVICE })).toEqual(["a", "b"]);
    });

    it("takes the keys from a Surrogate-Key header, soft when asked, with the legacy X-Fastly-Key header", async () => {
      const res = await call(emulator, "POST", `/service/${SERVICE}/purge`, {
        "X-Fastly-Key": TOKENS.global,
        "Surrogate-Key": "k1  k2 k3",
        "Fastly-Soft-Purge": "1",
      });
      expect(Object.keys(res.body ?? {})).toEqual(["k1", "k2", "k3"]);
      expect(emulator.state.purges).toEqual([expect.objectContaining({ kind: "key", objects: ["k1", "k2", "k3"], soft: true })]);
    });

    it("accepts 256 keys and refuses 257 with Fastly's exact body", async () => {
      const headers = { "Fastly-Key": TOKENS.select, "Content-Type": "application/json" };
      expect(
        (await call(emulator, "POST", `/service/${SERVICE}/purge`, headers, JSON.stringify({ surrogate_keys: keys(256) })))
          .status,
      ).toBe(200);
      const over = await call(
        emulator,
        "POST",
        `/service/${SERVICE}/purge`,
        headers,
        JSON.stringify({ surrogate_keys: keys(257, "x") }),
      );
      expect(over).toEqual(
        expect.objectContaining({ status: 400, body: { status: "fail", reason: FASTLY_TOO_MANY_KEYS_REASON } }),
      );
      expect(FASTLY_TOO_MANY_KEYS_REASON).toBe("Batch surrogate key request only supports up to 256 surrogate keys");
      expect(fastlyPurgedObjects(emulator.state)).toEqual(keys(256));
    });

    it("accepts a 1,024-byte key and refuses a longer one, in bulk and alone", async () => {
      const headers = { "Fastly-Key": TOKENS.select, "Content-Type": "application/json" };
      const max = "é".repeat(512); // 1,024 bytes in UTF-8
      const over = `${max}x`;
      expect(
        (await call(emulator, "POST", `/service/${SERVICE}/purge`, headers, JSON.stringify({ surrogate_keys: [max] }))).status,
      ).toBe(200);
      const bulk = await call(
        emulator,
        "POST",
        `/service/${SERVICE}/purge`,
        headers,
        JSON.stringify({ surrogate_keys: ["ok", over] }),
      );
      expect(bulk).toMatchObject({
        status: 400,
        body: { status: "fail", reason: expect.stringContaining("1025 bytes; keys may be at most 1024 bytes") },
      });
      const single = await call(emulator, "POST", `/service/${SERVICE}/purge/${encodeURIComponent(over)}`, {
        "Fastly-Key": TOKENS.select,
      });
      expect(single.status).toBe(400);
      expect(fastlyPurgedObjects(emulator.state)).toEqual([max]);
    });

    it("purges one key and answers {status, id}", async () => {
      const res = await call(emulator, "POST", `/service/${SERVICE}/purge/product%3A42`, { "Fastly-Key": TOKENS.select });
      expect(res).toMatchObject({ status: 200, body: { status: "ok", id: expect.any(String) } });
      expect(fastlyPurgedObjects(emulator.state)).toEqual(["product:42"]);
    });

    it.each([
      ["no token", {}, 401, { msg: "Provided credentials are missing or invalid" }, "missing_token"],
      [
        "an unknown token",
        { "Fastly-Key": "nope" },
        401,
        { msg: "Provided credentials are missing or invalid" },
        "unknown_token",
      ],
      [
        "a read-only token",
        { "Fastly-Key": TOKENS.readOnly },
        403,
        { msg: "You are not authorized to perform this action" },
        "forbidden",
      ],
      [
        "a purge_all-only token",
        { "Fastly-Key": TOKENS.all },
        403,
        { detail: expect.stringContaining("purge_select or global") },
        "forbidden",
      ],
      [
        "a token for another service",
        { "Fastly-Key": TOKENS.otherService },
        403,
        { detail: `The token is not allowed to act on service ${SERVICE}` },
        "forbidden",
      ],
    ])("refuses a key purge with %s", async (_label, headers: Record<string, string>, status, body, why) => {
      const res = await call(emulator, "POST", `/service/${SERVICE}/purge/k`, headers);
      expect(res).toMatchObject({ status, body });
      expect(emulator.state.purges).toHaveLength(0);
      expect(emulator.state.requests[0]?.authFailure).toBe(why);
    });

    it("refuses an expired token and answers 404 for an unknown service", async () => {
      clock.advance(60_000);
      expect((await call(emulator, "POST", `/service/${SERVICE}/purge/k`, { "Fastly-Key": TOKENS.expiring })).status).toBe(401);
      expect(await call(emulator, "POST", "/service/NOPE/purge/k", { "Fastly-Key": TOKENS.global })).toMatchObject({
        status: 404,
        body: { msg: "Record not found", detail: "Cannot find service 'NOPE'" },
      });
    });

    it("refuses a body without keys, naming both forms", async () => {
      const res = await call(emulator, "POST", `/service/${SERVICE}/purge`, { "Fastly-Key": TOKENS.select });
      expect(res).toMatchObject({
        status: 400,
        body: { status: "fail", reason: expect.stringContaining("Surrogate-Key header") },
      });
    });
  });

  describe("purge_all", () => {
    it("needs purge_all or global, refuses soft, and counts against the hourly limit with Fastly-RateLimit headers", async () => {
      const limited = await start({ hourlyLimit: 2 });
      try {
        expect((await call(limited, "POST", `/service/${SERVICE}/purge_all`, { "Fastly-Key": TOKENS.select })).status).toBe(403);
        expect((await call(limited, "POST", `/service/${OTHER_SERVICE}/purge_all`, { "Fastly-Key": TOKENS.all })).status).toBe(
          403,
        );
        const soft = await call(limited, "POST", `/service/${SERVICE}/purge_all`, {
          "Fastly-Key": TOKENS.all,
          "Fastly-Soft-Purge": "1",
        });
        expect(soft).toMatchObject({
          status: 400,
          body: { status: "fail", reason: expect.stringContaining("does not support Fastly-Soft-Purge") },
        });
        const first = await call(limited, "POST", `/service/${SERVICE}/purge_all`, { "Fastly-Key": TOKENS.all });
        expect(first).toMatchObject({ status: 200, body: { status: "ok" } });
        expect(first.headers.get("fastly-ratelimit-remaining")).toBe("1");
        const hourEnd = Math.ceil((Math.floor(clock.now() / 3_600_000) + 1) * 3600);
        expect(first.headers.get("fastly-ratelimit-reset")).toBe(String(hourEnd));
        expect((await call(limited, "POST", `/service/${SERVICE}/purge_all`, { "Fastly-Key": TOKENS.all })).status).toBe(200);
        const third = await call(limited, "POST", `/service/${SERVICE}/purge_all`, { "Fastly-Key": TOKENS.all });
        expect(third.status).toBe(429);
        expect(third.headers.get("fastly-ratelimit-remaining")).toBe("0");
        // Key purges are not limited.
        expect((await call(limited, "POST", `/service/${SERVICE}/purge/k`, { "Fastly-Key": TOKENS.global })).status).toBe(200);
        clock.advance(3_600_000);
        expect((await call(limited, "POST", `/service/${SERVICE}/purge_all`, { "Fastly-Key": TOKENS.all })).status).toBe(200);
        expect(limited.state.purges.filter((p) => p.kind === "all")).toHaveLength(3);
      } finally {
        await limited.close();
      }
    });
  });

  describe("GET /tokens/self", () => {
    it("reports scope, services and expires_at", async () => {
      expect(await call(emulator, "GET", "/tokens/self", { "Fastly-Key": TOKENS.expiring })).toMatchObject({
        status: 200,
        body: {
          name: "ci",
          scope: "purge_select",
          services: [],
          expires_at: new Date(clock.now() + 60_000).toISOString().replace(".000", ""),
        },
      });
      expect(await call(emulator, "GET", "/tokens/self", { "Fastly-Key": TOKENS.otherService })).toMatchObject({
        body: { scope: "purge_select", services: [OTHER_SERVICE], expires_at: null },
      });
      expect((await call(emulator, "GET", "/tokens/self", { "Fastly-Key": "unknown" })).status).toBe(401);
      clock.advance(60_000);
      expect((await call(emulator, "GET", "/tokens/self", { "Fastly-Key": TOKENS.expiring })).status).toBe(401);
    });

    it("with tokensSelfNeedsRead, answers 403 to tokens without global or global:read (unconfirmed Fastly behaviour)", async () => {
      const strict = await start({ tokensSelfNeedsRead: true });
      try {
        expect(await call(strict, "GET", "/tokens/self", { "Fastly-Key": TOKENS.select })).toMatchObject({
          status: 403,
          body: {
            msg: "You are not authorized to perform this action",
            detail: "Reading a token needs scope global or global:read",
          },
        });
        expect((await call(strict, "GET", "/tokens/self", { "Fastly-Key": TOKENS.readOnly })).status).toBe(200);
        expect((await call(strict, "GET", "/tokens/self", { "Fastly-Key": TOKENS.global })).status).toBe(200);
        expect((await call(strict, "GET", "/tokens/self", { "Fastly-Key": "unknown" })).status).toBe(401);
      } finally {
        await strict.close();
      }
    });
  });

  describe("faults", () => {
    it("injects 5xx, 429 with rate-limit headers, garbled and dropped answers on matching paths only", async () => {
      emulator.setFaults([
        { pathPrefix: "/service/", status: 503 },
        { pathPrefix: "/service/", status: 429, retryAfterSeconds: 30 },
        { pathPrefix: "/service/", malformedJson: true },
        { pathPrefix: "/purge/", dropConnection: true },
      ]);
      const headers = { "Fastly-Key": TOKENS.select };
      expect(await call(emulator, "POST", `/service/${SERVICE}/purge/a`, headers)).toMatchObject({
        status: 503,
        body: { msg: "Injected fault" },
      });
      const limited = await call(emulator, "POST", `/service/${SERVICE}/purge/a`, headers);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("fastly-ratelimit-reset")).toBe(String(Math.ceil(clock.now() / 1000) + 30));
      await expect(call(emulator, "POST", `/service/${SERVICE}/purge/a`, headers)).rejects.toThrow(SyntaxError);
      await expect(call(emulator, "POST", "/purge/www.example.com/x")).rejects.toThrow();
      // The garbled answer's purge happened; the injected statuses and the dropped request did not.
      expect(fastlyPurgedObjects(emulator.state)).toEqual(["a"]);
      expect(emulator.state.requests.map((r) => r.status)).toEqual([503, 429, 200, "dropped"]);
      expect(emulator.pendingFaults()).toEqual([]);
    });
  });
});
