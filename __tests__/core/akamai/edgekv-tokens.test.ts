import {
  EdgeKvTokensClient,
  daysToExpiry,
  edgeKvTokenKind,
  type CreateEdgeKvTokenRequest,
} from "../../../core/akamai/edgekv-tokens";
import { startHarness, type Harness } from "../../helpers/sandbox-harness";

const DAY_MS = 86_400_000;
const request = (name: string, extra: Partial<CreateEdgeKvTokenRequest> = {}): CreateEdgeKvTokenRequest => ({
  name,
  allowOnStaging: true,
  allowOnProduction: true,
  namespacePermissions: { default: ["r", "w"] },
  restrictToEdgeWorkerIds: ["4242"],
  ...extra,
});

describe("EdgeKvTokensClient against the sandbox", () => {
  let h: Harness;
  let tokens: EdgeKvTokensClient;
  beforeEach(async () => {
    h = await startHarness({ edgeKv: { tokenActivationMs: 30_000 } });
    tokens = new EdgeKvTokensClient(h.transport);
  });
  afterEach(async () => {
    await h.close();
  });

  it("lists nothing as [] and handles both kinds of token", async () => {
    expect(await tokens.listTokens({ includeExpired: true })).toEqual([]);

    const enhanced = await tokens.createToken(request("site-20250601"));
    expect(edgeKvTokenKind(enhanced)).toBe("enhanced");
    expect(enhanced).toMatchObject({
      expiry: "9999-12-31",
      tokenActivationStatus: "IN_PROGRESS",
      restrictToEdgeWorkerIds: ["4242"],
    });
    expect(enhanced.value).toBeUndefined();
    expect(daysToExpiry(enhanced, h.clock.now())).toBe(Number.POSITIVE_INFINITY);

    h.sandbox.state.edgeKv.createKind = "legacy";
    const legacy = await tokens.createToken(request("legacy-20250601", { expiry: "2025-07-01" }));
    expect(edgeKvTokenKind(legacy)).toBe("legacy");
    expect(legacy.value).toEqual(expect.any(String));
    expect(daysToExpiry(legacy, h.clock.now())).toBe(30); // 2025-06-01T12:00 to the end of 2025-07-01

    h.clock.advance(30_000);
    const listed = await tokens.listTokens();
    expect(listed.map((t) => [t.name, edgeKvTokenKind(t), t.tokenActivationStatus])).toEqual([
      ["site-20250601", "enhanced", "COMPLETE"],
      ["legacy-20250601", "legacy", undefined],
    ]);
    expect((await tokens.getToken("legacy-20250601")).value).toBe(legacy.value);
  });

  it("includes recently expired tokens only when asked, and reports an expired token as 410", async () => {
    h.sandbox.state.edgeKv.createKind = "legacy";
    await tokens.createToken(request("old", { expiry: "2025-06-02" }));
    h.clock.advance(2 * DAY_MS);
    expect(await tokens.listTokens()).toEqual([]);
    expect((await tokens.listTokens({ includeExpired: true })).map((t) => t.name)).toEqual(["old"]);
    await expect(tokens.getToken("old")).rejects.toMatchObject({ status: 410, errorCode: "EKV_3000" });
  });

  it("refreshes and revokes", async () => {
    const created = await tokens.createToken(request("r1"));
    h.clock.advance(DAY_MS);
    const refreshed = await tokens.refreshToken("r1");
    expect(refreshed).toMatchObject({ uuid: created.uuid, latestRefreshDate: "2025-06-02" });
    expect(await tokens.revokeToken("r1")).toEqual({ name: "r1", uuid: created.uuid });
    await expect(tokens.getToken("r1")).rejects.toMatchObject({ status: 404 });
    await expect(tokens.createToken(request("r1"))).resolves.toMatchObject({ name: "r1" }); // the name is free again
    await expect(tokens.createToken(request("r1"))).rejects.toMatchObject({ status: 409 });
  });
});
