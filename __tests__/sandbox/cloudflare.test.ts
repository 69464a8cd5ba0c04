/** The Cloudflare purge emulator over HTTP on 127.0.0.1: envelope, auth and permissions, item caps, per-plan buckets, faults. */
import {
  cloudflarePurgedObjects,
  startCloudflareEmulator,
  type CloudflareEmulator,
  type CloudflareEmulatorOptions,
} from "../../sandbox/cloudflare";
import { fakeClock, type FakeClock } from "../helpers/sandbox-harness";

const FREE_ZONE = "0123456789abcdef0123456789abcdef";
const ENT_ZONE = "fedcba9876543210fedcba9876543210";
const PRO_ZONE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ACCOUNT = "acc0000000000000000000000000000a";
const TOKENS = {
  user: "user-token-all-zones",
  account: "cfat_account-token",
  freeOnly: "user-token-free-only",
  noPurge: "user-token-without-purge",
  expiring: "user-token-expiring",
  disabled: "user-token-disabled",
};

let clock: FakeClock;
/** Emulators started in one test share the test's clock. */
async function start(extra: Partial<CloudflareEmulatorOptions> = {}): Promise<CloudflareEmulator> {
  return startCloudflareEmulator({
    zones: [
      { id: FREE_ZONE, plan: "free" },
      { id: ENT_ZONE, plan: "enterprise" },
      { id: PRO_ZONE, plan: "pro", accountId: ACCOUNT },
    ],
    tokens: [
      { token: TOKENS.user, kind: "user", id: "user-token-id" },
      { token: TOKENS.account, kind: "account", accountId: ACCOUNT, purgeZones: [PRO_ZONE] },
      { token: TOKENS.freeOnly, kind: "user", purgeZones: [FREE_ZONE] },
      { token: TOKENS.noPurge, kind: "user", purgeZones: [] },
      { token: TOKENS.expiring, kind: "user", expiresOnMs: clock.now() + 86_400_000 },
      { token: TOKENS.disabled, kind: "user", status: "disabled" },
    ],
    now: clock.now,
    ...extra,
  });
}

interface Envelope {
  success: boolean;
  errors: Array<{ code: number; message: string; error_chain?: unknown[] }>;
  messages: unknown[];
  result: unknown;
}

async function call(emulator: CloudflareEmulator, method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${emulator.url}/client/v4${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Envelope };
}

const purge = (emulator: CloudflareEmulator, zone: string, body: unknown, token = TOKENS.user) =>
  call(emulator, "POST", `/zones/${zone}/purge_cache`, token, body);
const items = (n: number, make: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => make(i));

describe("Cloudflare emulator", () => {
  let emulator: CloudflareEmulator;
  beforeEach(async () => {
    clock = fakeClock();
    emulator = await start();
  });
  afterEach(async () => {
    await emulator.close();
  });

  describe("purge_cache", () => {
    it.each([
      [
        "files",
        ["https://www.example.com/a.css", { url: "https://www.example.com/b", headers: { "CF-Device-Type": "mobile" } }],
        ["https://www.example.com/a.css", "https://www.example.com/b"],
      ],
      ["tags", ["t1", "t2"], ["t1", "t2"]],
      ["hosts", ["www.example.com"], ["www.example.com"]],
      ["prefixes", ["www.example.com/foo/"], ["www.example.com/foo/"]],
    ])("purges %s and answers the envelope with result.id", async (kind, list, recorded) => {
      const res = await purge(emulator, FREE_ZONE, { [kind]: list });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, errors: [], messages: [], result: { id: FREE_ZONE } });
      expect(cloudflarePurgedObjects(emulator.state, { kind: kind as "files", zoneId: FREE_ZONE })).toEqual(recorded);
    });

    it("purges everything, and gives a new result id per request when asked", async () => {
      expect((await purge(emulator, FREE_ZONE, { purge_everything: true })).body.success).toBe(true);
      expect(emulator.state.purges).toEqual([expect.objectContaining({ kind: "purge_everything", objects: [] })]);
      const perRequest = await start({ resultId: "per-request" });
      try {
        const a = await purge(perRequest, FREE_ZONE, { tags: ["a"] });
        const b = await purge(perRequest, FREE_ZONE, { tags: ["b"] });
        expect(a.body.result).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/) });
        expect(a.body.result).not.toEqual(b.body.result);
      } finally {
        await perRequest.close();
      }
    });

    it.each([
      ["an empty body", {}, 1012, 'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"'],
      ["two kinds", { tags: ["a"], hosts: ["b.com"] }, 1012, 'it has "tags", "hosts"'],
      ["an unknown field", { tags: ["a"], urls: ["x"] }, 1012, '"urls"'],
      ["a non-array", { files: "https://a.com/" }, 1014, '"files", "tags", or "hosts" must be an array'],
      ["purge_everything false", { purge_everything: false }, 1012, '"purge_everything" must be true'],
      ["a number in tags", { tags: ["a", 7] }, 1014, '"tags"[1] must be a string'],
    ])("answers 400 success:false for %s", async (_label, body, code, message) => {
      const res = await purge(emulator, FREE_ZONE, body);
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
      expect(res.body.errors).toEqual([{ code, message: expect.stringContaining(message) }]);
      expect(emulator.state.purges).toHaveLength(0);
    });

    it("answers HTTP 200 with success:false for a bad tag (1100 or 1315, then 1016), purging nothing", async () => {
      const long = await purge(emulator, FREE_ZONE, { tags: ["fine", "x".repeat(1025)] });
      expect(long.status).toBe(200);
      expect(long.body).toMatchObject({ success: false, result: null });
      expect(long.body.errors.map((e) => e.code)).toEqual([1100, 1016]);
      expect(long.body.errors[0]?.message).toMatch(/^Tag exceeds maximum length of 1024 characters: x+…$/);
      const control = await purge(emulator, FREE_ZONE, { tags: ["a\u0007b"] });
      expect(control.body.errors).toEqual([
        { code: 1315, message: "Non-printable characters are forbidden in tags" },
        { code: 1016, message: "One or more cache purge errors" },
      ]);
      expect((await purge(emulator, FREE_ZONE, { tags: ["x".repeat(1024)] })).body.success).toBe(true);
      expect(cloudflarePurgedObjects(emulator.state)).toEqual(["x".repeat(1024)]);
    });

    it("answers HTTP 200 with success:false for a bad URL, host or prefix", async () => {
      for (const body of [
        { files: ["ftp://a.com/x"] },
        { hosts: ["not a host"] },
        { prefixes: ["https://www.example.com/a"] },
        { prefixes: [`a.com${"/x".repeat(32)}`] },
      ]) {
        const res = await purge(emulator, FREE_ZONE, body);
        expect(res.status).toBe(200);
        expect(res.body.success).toBe(false);
        expect(res.body.errors.at(-1)).toEqual({ code: 1016, message: "One or more cache purge errors" });
      }
      expect(emulator.state.purges).toHaveLength(0);
    });
  });

  describe("item caps", () => {
    it("allows 30 URLs and 100 tags per request on non-Enterprise zones, 500 URLs on Enterprise", async () => {
      const urls = (n: number) => items(n, (i) => `https://www.example.com/${i}`);
      expect((await purge(emulator, FREE_ZONE, { files: urls(30) })).body.success).toBe(true);
      const over = await purge(emulator, FREE_ZONE, { files: urls(31) });
      expect(over.status).toBe(400);
      expect(over.body.errors).toEqual([
        { code: 1015, message: 'You cannot provide more than 30 items in "files" per request; this request has 31' },
      ]);
      expect((await purge(emulator, FREE_ZONE, { tags: items(100, (i) => `t${i}`) })).body.success).toBe(true);
      expect((await purge(emulator, FREE_ZONE, { hosts: items(101, (i) => `h${i}.example.com`) })).status).toBe(400);
      expect((await purge(emulator, ENT_ZONE, { files: urls(500) })).body.success).toBe(true);
      expect((await purge(emulator, ENT_ZONE, { files: urls(501) })).status).toBe(400);
      expect(emulator.state.sizes.map((s) => [s.kind, s.items, s.cap])).toEqual([
        ["files", 30, 30],
        ["files", 31, 30],
        ["tags", 100, 100],
        ["hosts", 101, 100],
        ["files", 500, 500],
        ["files", 501, 500],
      ]);
    });

    it("takes configured caps (e.g. the documented 100 URLs)", async () => {
      const configured = await start({ itemCaps: { files: 100 } });
      try {
        expect((await purge(configured, FREE_ZONE, { files: items(100, (i) => `https://a.com/${i}`) })).body.success).toBe(true);
        expect((await purge(configured, FREE_ZONE, { files: items(101, (i) => `https://a.com/${i}`) })).status).toBe(400);
      } finally {
        await configured.close();
      }
    });
  });

  describe("rate limits", () => {
    it("gives a Free zone a burst of 25 requests, then 429 with Retry-After and Ratelimit headers, refilling 5 per minute", async () => {
      for (let i = 0; i < 25; i++) {
        const res = await purge(emulator, FREE_ZONE, { tags: [`t${i}`] });
        expect(res.status).toBe(200);
        if (i === 0) {
          expect(res.headers.get("ratelimit")).toBe('"default";r=24;t=12');
          expect(res.headers.get("ratelimit-policy")).toBe('"burst";q=25;w=300');
        }
      }
      const limited = await purge(emulator, FREE_ZONE, { tags: ["t25"] });
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("12");
      expect(limited.body).toMatchObject({
        success: false,
        errors: [{ code: 971, message: expect.stringContaining("Rate limit enforced for cache purge") }],
      });
      clock.advance(11_000);
      expect((await purge(emulator, FREE_ZONE, { tags: ["t25"] })).status).toBe(429);
      clock.advance(1_000);
      expect((await purge(emulator, FREE_ZONE, { tags: ["t25"] })).status).toBe(200);
      expect(cloudflarePurgedObjects(emulator.state)).toEqual(items(26, (i) => `t${i}`));
    });

    it("gives Enterprise 500 per burst at 50/s, and a time scale speeds refills", async () => {
      const scaled = await start({ timeScale: 10 });
      try {
        for (let i = 0; i < 25; i++) await purge(scaled, FREE_ZONE, { hosts: [`h${i}.com`] });
        const limited = await purge(scaled, FREE_ZONE, { hosts: ["late.com"] });
        expect(limited.headers.get("retry-after")).toBe("2"); // 12 s / 10, rounded up
        clock.advance(1_000);
        expect((await purge(scaled, FREE_ZONE, { hosts: ["late.com"] })).status).toBe(429);
        clock.advance(1_000); // as Retry-After said
        expect((await purge(scaled, FREE_ZONE, { hosts: ["late.com"] })).status).toBe(200);
      } finally {
        await scaled.close();
      }
      for (let i = 0; i < 500; i++) expect((await purge(emulator, ENT_ZONE, { tags: [`e${i}`] })).status).toBe(200);
      expect((await purge(emulator, ENT_ZONE, { tags: ["e500"] })).status).toBe(429);
      clock.advance(20);
      expect((await purge(emulator, ENT_ZONE, { tags: ["e500"] })).status).toBe(200);
    });

    it("paces URL purges by the plan's URLs per second, not the request bucket", async () => {
      const urls = (from: number) => items(30, (i) => `https://www.example.com/${from + i}`);
      // Free: 800 URLs/s; 26 requests of 30 fit in the first second, the 27th does not.
      for (let r = 0; r < 26; r++) expect((await purge(emulator, FREE_ZONE, { files: urls(r * 30) })).status).toBe(200);
      const limited = await purge(emulator, FREE_ZONE, { files: urls(780) });
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("1");
      // The tag bucket is untouched.
      expect((await purge(emulator, FREE_ZONE, { tags: ["still-fine"] })).status).toBe(200);
    });
  });

  describe("authentication and permissions", () => {
    it("answers 400 6003 for a missing or malformed Authorization header", async () => {
      for (const token of [undefined, "has spaces"]) {
        const res = await call(emulator, "POST", `/zones/${FREE_ZONE}/purge_cache`, token, { tags: ["a"] });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          {
            code: 6003,
            message: "Invalid request headers",
            error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
          },
        ]);
      }
    });

    it("answers 401 for an unknown, expired or disabled token and 403 10000 without the zone's purge permission", async () => {
      expect(await purge(emulator, FREE_ZONE, { tags: ["a"] }, "unknown")).toMatchObject({
        status: 401,
        body: { success: false, errors: [{ code: 1000, message: "Invalid API Token" }] },
      });
      expect((await purge(emulator, FREE_ZONE, { tags: ["a"] }, TOKENS.disabled)).status).toBe(401);
      const forbidden = await purge(emulator, FREE_ZONE, { tags: ["a"] }, TOKENS.noPurge);
      expect(forbidden).toMatchObject({
        status: 403,
        body: { success: false, errors: [{ code: 10000, message: "Authentication error" }] },
      });
      expect((await purge(emulator, ENT_ZONE, { tags: ["a"] }, TOKENS.freeOnly)).status).toBe(403);
      expect((await purge(emulator, FREE_ZONE, { tags: ["a"] }, TOKENS.freeOnly)).status).toBe(200);
      expect((await purge(emulator, PRO_ZONE, { tags: ["b"] }, TOKENS.account)).status).toBe(200);
      expect((await purge(emulator, FREE_ZONE, { tags: ["c"] }, TOKENS.expiring)).status).toBe(200);
      clock.advance(86_400_000);
      expect((await purge(emulator, FREE_ZONE, { tags: ["d"] }, TOKENS.expiring)).status).toBe(401);
      expect(cloudflarePurgedObjects(emulator.state)).toEqual(["a", "b", "c"]);
      expect(emulator.state.requests.map((r) => r.authFailure)).toEqual([
        "unknown_token",
        "token_disabled",
        "no_purge_permission",
        "no_purge_permission",
        undefined,
        undefined,
        undefined,
        "token_expired",
      ]);
    });

    it("answers 7003 for a zone id that is not one and 403 for an unknown zone", async () => {
      expect(await purge(emulator, "example.com", { tags: ["a"] })).toMatchObject({
        status: 400,
        body: { errors: [{ code: 7003 }] },
      });
      expect((await purge(emulator, "ffffffffffffffffffffffffffffffff", { tags: ["a"] })).status).toBe(403);
    });
  });

  describe("token verify", () => {
    it("verifies user tokens at /user/tokens/verify with status and expires_on; account tokens there get 401", async () => {
      const res = await call(emulator, "GET", "/user/tokens/verify", TOKENS.expiring);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        errors: [],
        messages: [{ code: 10000, message: "This API Token is valid and active", type: null }],
        result: {
          id: expect.any(String),
          status: "active",
          expires_on: new Date(clock.now() + 86_400_000).toISOString().replace(".000", ""),
        },
      });
      expect((await call(emulator, "GET", "/user/tokens/verify", TOKENS.disabled)).body.result).toMatchObject({
        status: "disabled",
      });
      clock.advance(86_400_000);
      expect((await call(emulator, "GET", "/user/tokens/verify", TOKENS.expiring)).body.result).toMatchObject({
        status: "expired",
      });
      expect(await call(emulator, "GET", "/user/tokens/verify", TOKENS.account)).toMatchObject({
        status: 401,
        body: { errors: [{ code: 1000 }] },
      });
    });

    it("verifies account tokens at /accounts/{id}/tokens/verify only for their account", async () => {
      expect(await call(emulator, "GET", `/accounts/${ACCOUNT}/tokens/verify`, TOKENS.account)).toMatchObject({
        status: 200,
        body: { result: { status: "active" } },
      });
      expect((await call(emulator, "GET", "/accounts/someoneelse/tokens/verify", TOKENS.account)).status).toBe(401);
      expect((await call(emulator, "GET", `/accounts/${ACCOUNT}/tokens/verify`, TOKENS.user)).status).toBe(401);
    });
  });

  describe("faults", () => {
    it("injects 5xx, 429 with Retry-After, a 200 success:false, garbled and delayed-then-dropped answers", async () => {
      emulator.setFaults([
        { pathPrefix: "/client/v4/zones/", status: 502 },
        { pathPrefix: "/client/v4/zones/", status: 429, retryAfterSeconds: 7 },
        { pathPrefix: "/client/v4/zones/", status: 200, errorCode: 1016 },
        { pathPrefix: "/client/v4/zones/", malformedJson: true },
        { pathPrefix: "/client/v4/zones/", delayMs: 20, dropConnection: true },
      ]);
      expect(await purge(emulator, FREE_ZONE, { tags: ["a"] })).toMatchObject({
        status: 502,
        body: { success: false, errors: [{ code: 10502 }] },
      });
      const limited = await purge(emulator, FREE_ZONE, { tags: ["a"] });
      expect(limited).toMatchObject({ status: 429, body: { errors: [{ code: 971 }] } });
      expect(limited.headers.get("retry-after")).toBe("7");
      expect(await purge(emulator, FREE_ZONE, { tags: ["a"] })).toMatchObject({
        status: 200,
        body: { success: false, errors: [{ code: 1016 }] },
      });
      await expect(purge(emulator, FREE_ZONE, { tags: ["garbled"] })).rejects.toThrow(/JSON/);
      await expect(purge(emulator, FREE_ZONE, { tags: ["dropped"] })).rejects.toThrow();
      expect(cloudflarePurgedObjects(emulator.state)).toEqual(["garbled"]);
      expect(emulator.state.requests.map((r) => r.status)).toEqual([502, 429, 200, 200, "dropped"]);
    });
  });
});
