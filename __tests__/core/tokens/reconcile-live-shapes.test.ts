/**
 * The scheduled token reconcile against an account as the live API shows it: legacy tokens whose list items
 * carry null refresh fields (sandbox/seed-tokens.ts). Before tolerant reading every run failed on the list.
 */
import { reconcileTokens } from "../../../core/tokens/reconcile";
import { defaultSeedTokens } from "../../../sandbox/seed-tokens";
import { startHarness, type Harness } from "../../helpers/sandbox-harness";
import { MemoryStore, declaredToken, depsFor, settingsFor } from "./helpers";

let h: Harness;
afterEach(async () => {
  await h.close();
});

test("a run over legacy tokens with null fields replaces the one near expiry and publishes, without problems", async () => {
  h = await startHarness({ edgeKv: { tokens: defaultSeedTokens(Date.UTC(2025, 5, 1, 12)) } });
  const store = new MemoryStore(h.clock.now);
  const settings = settingsFor([declaredToken({ namePrefix: "site-config-ro", namespacePermissions: { site_config: ["r"] } })]);
  const result = await reconcileTokens({ action: "reconcile" }, settings, depsFor(h, store));
  expect(result.problems).toEqual([]);
  // The seeded legacy site-config-ro token expires in 3 days: the run makes its successor.
  expect(result.created).toEqual([
    expect.objectContaining({ prefix: "site-config-ro", name: "site-config-ro-20250601", kind: "enhanced" }),
  ]);
  expect(result.published).toHaveLength(1);
});
