/** The EdgeKV tokens `npm run sandbox` starts with: legacy tokens near expiry, an enhanced token never refreshed. */
import { EdgeKvTokensClient, daysToExpiry, edgeKvTokenKind } from "../../core/akamai/edgekv-tokens";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { main } from "../../sandbox/main";
import { defaultSeedTokens, SEEDED_ENHANCED_TOKEN } from "../../sandbox/seed-tokens";
import { LOOPBACK_ENV, startHarness } from "../helpers/sandbox-harness";

const NOW = Date.UTC(2025, 5, 1, 12);

test("legacy tokens of the example environments' prefixes a few days from expiry, and an enhanced token never refreshed", () => {
  const tokens = defaultSeedTokens(NOW);
  expect(tokens.map((t) => [t.name, t.kind, t.expiry, t.issueDate, t.latestRefreshDate, t.nextScheduledRefreshDate])).toEqual([
    ["dev-config-ro-20241209", "legacy", "2025-06-07", null, null, null],
    ["site-config-ro-20241206", "legacy", "2025-06-04", null, null, null],
    [SEEDED_ENHANCED_TOKEN, "enhanced", "9999-12-31", "2025-05-02", null, null],
  ]);
  for (const token of tokens.slice(0, 2)) expect(token.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(new Set(tokens.map((t) => t.uuid)).size).toBe(3);
});

test("the sandbox answers them: legacy list items with null fields, the client reads all three", async () => {
  const h = await startHarness({ edgeKv: { tokens: defaultSeedTokens(NOW) } });
  try {
    const raw = await h.transport.request({ method: "GET", path: "/edgekv/v1/tokens" });
    const items = (raw.body as { tokens: Array<Record<string, unknown>> }).tokens;
    expect(items[0]).toEqual({
      name: "dev-config-ro-20241209",
      uuid: expect.any(String),
      expiry: "2025-06-07",
      tokenActivationStatus: null,
      issueDate: null,
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
    });
    expect(items[2]).toMatchObject({
      name: SEEDED_ENHANCED_TOKEN,
      tokenActivationStatus: "COMPLETE",
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
    });
    const listed = await new EdgeKvTokensClient(h.transport).listTokens();
    expect(listed.map((t) => [t.name, edgeKvTokenKind(t), daysToExpiry(t, NOW)])).toEqual([
      ["dev-config-ro-20241209", "legacy", 6],
      ["site-config-ro-20241206", "legacy", 3],
      [SEEDED_ENHANCED_TOKEN, "enhanced", Number.POSITIVE_INFINITY],
    ]);
    // A legacy token's value is there for write-file.
    expect((await new EdgeKvTokensClient(h.transport).getToken("site-config-ro-20241206")).value).toEqual(expect.any(String));
  } finally {
    await h.close();
  }
});

test("npm run sandbox seeds them by default; --no-seed-tokens starts empty", async () => {
  for (const [argv, expected] of [
    [["--only", "akamai"], 3],
    [["--only", "akamai", "--no-seed-tokens"], 0],
  ] as const) {
    let output = "";
    const running = await main([...argv], {}, (text) => (output += text));
    try {
      expect(running.akamai?.state.edgeKv.tokens).toHaveLength(expected);
      expect(output).toContain(expected === 0 ? "EdgeKV tokens: none" : `EdgeKV tokens: dev-config-ro-`);
      const transport = new EdgeGridTransport({
        credentials: { host: running.url as string, ...clientOf(output) },
        env: LOOPBACK_ENV,
      });
      try {
        expect(await new EdgeKvTokensClient(transport).listTokens()).toHaveLength(expected);
      } finally {
        transport.close();
      }
    } finally {
      await running.close();
    }
  }
});

function clientOf(output: string): { clientToken: string; clientSecret: string; accessToken: string } {
  const field = (name: string): string => new RegExp(`^${name} = (.+)$`, "m").exec(output)?.[1] ?? "";
  return { clientToken: field("client_token"), clientSecret: field("client_secret"), accessToken: field("access_token") };
}
