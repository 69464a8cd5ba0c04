import { startHarness, type Harness } from "../helpers/sandbox-harness";

const DAY_MS = 86_400_000;
const TOKENS = "/edgekv/v1/tokens";
// The harness clock starts at 2025-06-01T12:00:00Z.
const request = (name: string, extra: object = {}) => ({
  name,
  allowOnStaging: true,
  allowOnProduction: false,
  namespacePermissions: { default: ["r", "w"], marketing: ["r"] },
  ...extra,
});

describe("EdgeKV access tokens in the sandbox", () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const post = (body: unknown) => h.transport.request({ method: "POST", path: TOKENS, body: body as object });
  const get = (path: string, query?: Record<string, string>) =>
    h.transport.request({ method: "GET", path, ...(query ? { query } : {}) });

  it("creates an enhanced token (200, no value, uuid, 9999-12-31, IN_PROGRESS) that becomes COMPLETE", async () => {
    h = await startHarness({ edgeKv: { tokenActivationMs: 60_000 } });
    const created = await post(request("site-token-20250601", { restrictToEdgeWorkerIds: ["4242"] }));
    expect(created.status).toBe(200);
    const body = created.body as Record<string, unknown>;
    expect(body).toEqual({
      name: "site-token-20250601",
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      allowOnProduction: false,
      allowOnStaging: true,
      cpcode: "1234567",
      expiry: "9999-12-31",
      issueDate: "2025-06-01",
      latestRefreshDate: null,
      nextScheduledRefreshDate: "2025-08-01",
      namespacePermissions: { default: ["r", "w"], marketing: ["r"] },
      restrictToEdgeWorkerIds: ["4242"],
      tokenActivationStatus: "IN_PROGRESS",
    });
    expect((await get(`${TOKENS}/site-token-20250601`)).body).toMatchObject({ tokenActivationStatus: "IN_PROGRESS" });
    h.clock.advance(60_000);
    expect((await get(`${TOKENS}/site-token-20250601`)).body).toMatchObject({
      tokenActivationStatus: "COMPLETE",
      uuid: body.uuid,
    });
    expect((await get(TOKENS)).body).toEqual({
      tokens: [
        {
          name: "site-token-20250601",
          uuid: body.uuid,
          expiry: "9999-12-31",
          tokenActivationStatus: "COMPLETE",
          issueDate: "2025-06-01",
          latestRefreshDate: null,
          nextScheduledRefreshDate: "2025-08-01",
        },
      ],
    });
  });

  it("creates legacy tokens (JWT-like value, expiry within six months) when switched to them", async () => {
    h = await startHarness({ edgeKv: { tokenKind: "legacy" } });
    expect((await post(request("no-expiry"))).body).toMatchObject({
      status: 400,
      errorCode: "EKV_2000",
      detail: "expiry is required.",
    });
    expect((await post(request("too-far", { expiry: "2025-12-02" }))).body).toMatchObject({
      status: 400,
      detail: "expiry must be at most 6 months in the future.",
    });
    expect((await post(request("too-near", { expiry: "2025-06-01" }))).body).toMatchObject({
      status: 400,
      detail: "expiry must be at least one day in the future.",
    });
    const created = await post(request("legacy-1", { expiry: "2025-12-01" }));
    expect(created.status).toBe(200);
    const token = created.body as { name: string; uuid: string; expiry: string; value: string };
    expect(Object.keys(token).sort()).toEqual(["expiry", "name", "uuid", "value"]);
    expect(token.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(token.value.split(".")[1] as string, "base64url").toString())).toMatchObject({
      jti: token.uuid,
      "namespace-default": ["r", "w"],
    });
    // The live API lists legacy tokens with the enhanced workflow's fields null (Go SDK: optional and nullable).
    expect((await get(TOKENS)).body).toEqual({
      tokens: [
        {
          name: "legacy-1",
          uuid: token.uuid,
          expiry: "2025-12-01",
          tokenActivationStatus: null,
          issueDate: null,
          latestRefreshDate: null,
          nextScheduledRefreshDate: null,
        },
      ],
    });

    // Both kinds side by side.
    h.sandbox.state.edgeKv.createKind = "enhanced";
    await post(request("enhanced-1"));
    expect(((await get(TOKENS)).body as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name)).toEqual([
      "legacy-1",
      "enhanced-1",
    ]);
  });

  it("expires legacy tokens: get is 410, list hides them unless includeExpired (for 30 days), the name is free again", async () => {
    h = await startHarness({ edgeKv: { tokenKind: "legacy" } });
    await post(request("short", { expiry: "2025-06-10" }));
    h.clock.advance(9 * DAY_MS); // 2025-06-10T12:00Z: still valid through the end of the day
    expect((await get(`${TOKENS}/short`)).status).toBe(200);
    h.clock.advance(DAY_MS);
    expect((await get(`${TOKENS}/short`)).body).toMatchObject({
      status: 410,
      detail: "Token has expired.",
      errorCode: "EKV_3000",
    });
    expect((await get(TOKENS)).body).toMatchObject({ status: 404, detail: "No tokens exist." });
    expect(((await get(TOKENS, { includeExpired: "true" })).body as { tokens: unknown[] }).tokens).toHaveLength(1);
    expect((await post(request("short", { expiry: "2025-07-10" }))).status).toBe(200);
    expect((await get(`${TOKENS}/short`)).body).toMatchObject({ expiry: "2025-07-10" });
    h.clock.advance(40 * DAY_MS); // 2025-07-21: the second expired 10 days ago, the first 40 days ago
    expect((await get(TOKENS, { includeExpired: "true" })).body).toEqual({
      tokens: [expect.objectContaining({ name: "short", expiry: "2025-07-10" })],
    });
  });

  it("keeps names unique among live tokens (409) and refuses bad input with EdgeKV's codes", async () => {
    h = await startHarness();
    expect((await post(request("dup"))).status).toBe(200);
    expect((await post(request("dup"))).body).toMatchObject({
      status: 409,
      title: "Conflict",
      errorCode: "EKV_3000",
      detail: "Token with name dup is already stored.",
    });
    const notJson = await h.transport.request({
      method: "POST",
      path: TOKENS,
      body: "{name:",
      headers: { "Content-Type": "application/json" },
    });
    expect(notJson.body).toMatchObject({
      status: 422,
      errorCode: "EKV_2001",
      additionalDetail: { requestId: expect.any(String) },
    });
    expect((await post(request("bad name"))).body).toMatchObject({
      status: 400,
      errorCode: "EKV_2000",
      detail: "Name contains invalid characters.",
    });
    expect((await post(request("perm", { namespacePermissions: { default: ["r", "x"] } }))).body).toMatchObject({
      detail: "Invalid permission",
    });
    expect((await post(request("nowhere", { allowOnStaging: false }))).body).toMatchObject({ status: 400 });
    expect((await post(request("cli-spelling", { restrictToEwids: ["1"] }))).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining("restrictToEwids"),
    });
    expect((await get(`${TOKENS}/missing`)).body).toMatchObject({
      status: 404,
      detail: "Token with name missing does not exist.",
    });
  });

  it("refreshes enhanced tokens, refuses to refresh legacy ones, and revokes both for good", async () => {
    h = await startHarness();
    const enhanced = (await post(request("e1"))).body as { uuid: string };
    h.clock.advance(10 * DAY_MS);
    const refreshed = await h.transport.request({ method: "POST", path: `${TOKENS}/e1/refresh` });
    expect(refreshed.body).toMatchObject({
      uuid: enhanced.uuid,
      latestRefreshDate: "2025-06-11",
      nextScheduledRefreshDate: "2025-08-11",
    });

    h.sandbox.state.edgeKv.createKind = "legacy";
    await post(request("l1", { expiry: "2025-09-01" }));
    expect((await h.transport.request({ method: "POST", path: `${TOKENS}/l1/refresh` })).body).toMatchObject({ status: 400 });

    const revoked = await h.transport.request({ method: "DELETE", path: `${TOKENS}/e1` });
    expect(revoked).toMatchObject({ status: 200, body: { name: "e1", uuid: enhanced.uuid } });
    expect((await get(`${TOKENS}/e1`)).status).toBe(404);
    expect((await h.transport.request({ method: "DELETE", path: `${TOKENS}/e1` })).status).toBe(404);
    expect(
      ((await get(TOKENS, { includeExpired: "true" })).body as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name),
    ).toEqual(["l1"]);
  });
});
