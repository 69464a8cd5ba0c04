/**
 * EdgeKV tokens a sandbox account starts with by default (`npm run sandbox`; startSandbox with
 * `edgeKv.tokens`), so every token command meets what real accounts hold:
 * - legacy tokens of the example environments' declared prefixes (config/environments: dev-config-ro,
 *   site-config-ro), a few days from expiry, listed with null refresh fields as the live API lists them;
 * - an enhanced token never refreshed and with no refresh scheduled yet (latestRefreshDate and
 *   nextScheduledRefreshDate null; Akamai's Go SDK models both as nullable).
 */
import { randomUUID } from "node:crypto";
import { isoDate } from "./api-problem";
import { legacyValue } from "./edgekv-tokens";
import type { SandboxEdgeKvToken } from "./state";

const DAY_MS = 86_400_000;
const SANDBOX_CPCODE = "1234567";

function dated(prefix: string, ms: number): string {
  return `${prefix}-${isoDate(ms).replace(/-/g, "")}`;
}

interface LegacySeed {
  prefix: string;
  namespace: string;
  /** Days from now to the token's expiry day. */
  expiresInDays: number;
  allowOnProduction: boolean;
}

const LEGACY_SEEDS: readonly LegacySeed[] = [
  { prefix: "dev-config-ro", namespace: "dev_config", expiresInDays: 6, allowOnProduction: false },
  { prefix: "site-config-ro", namespace: "site_config", expiresInDays: 3, allowOnProduction: false },
];

export const SEEDED_ENHANCED_TOKEN = "shared-reader";

/** The default tokens at `nowMs`: legacy tokens issued six months minus a few days ago, and one enhanced token. */
export function defaultSeedTokens(nowMs: number): SandboxEdgeKvToken[] {
  const tokens: SandboxEdgeKvToken[] = LEGACY_SEEDS.map((seed) => {
    const expiryMs = nowMs + seed.expiresInDays * DAY_MS;
    const createdMs = expiryMs - 180 * DAY_MS;
    const token: Omit<SandboxEdgeKvToken, "value"> = {
      name: dated(seed.prefix, createdMs),
      uuid: randomUUID(),
      kind: "legacy",
      expiry: isoDate(expiryMs),
      issueDate: null,
      allowOnStaging: true,
      allowOnProduction: seed.allowOnProduction,
      namespacePermissions: { [seed.namespace]: ["r"] },
      cpcode: SANDBOX_CPCODE,
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
      createdMs,
      activationDoneMs: createdMs,
      activationOutcome: "COMPLETE",
    };
    return { ...token, value: legacyValue(token) };
  });
  const issuedMs = nowMs - 30 * DAY_MS;
  tokens.push({
    name: SEEDED_ENHANCED_TOKEN,
    uuid: randomUUID(),
    kind: "enhanced",
    expiry: "9999-12-31",
    issueDate: isoDate(issuedMs),
    allowOnStaging: true,
    allowOnProduction: true,
    namespacePermissions: { default: ["r"] },
    cpcode: SANDBOX_CPCODE,
    latestRefreshDate: null,
    nextScheduledRefreshDate: null,
    createdMs: issuedMs,
    activationDoneMs: issuedMs,
    activationOutcome: "COMPLETE",
  });
  return tokens;
}
