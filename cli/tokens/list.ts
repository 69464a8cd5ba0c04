/** `edgeplane tokens list [--include-expired] [--env E]`. */
import type { EdgeKvTokensClient, EdgeKvTokenSummary } from "../../core/akamai/edgekv-tokens";
import { daysToExpiry, edgeKvTokenKind } from "../../core/akamai/edgekv-tokens";
import { prefixTokens, tokenState, type TokenState } from "../../core/tokens/select";
import { UsageError } from "../io";
import { COMMON_FLAGS, type TokensContext, type TokensSubcommand, listTokens } from "./context";

export const listCommand: TokensSubcommand = {
  flags: [...COMMON_FLAGS, { name: "--include-expired" }],
  prepare(context) {
    const names = context.flags.positionals;
    if (names.length > 0) throw new UsageError(`list takes no arguments; got "${names[0]}"`);
    return (client) => list(context, client);
  },
};

interface ListedRow {
  name: string;
  uuid: string;
  kind: "legacy" | "enhanced";
  state: TokenState;
  expiry: string;
  daysToExpiry: number | null;
  tokenActivationStatus?: string;
  issueDate?: string;
  latestRefreshDate?: string | null;
  nextScheduledRefreshDate?: string;
  prefix?: string;
  role?: "current" | "pending" | "superseded" | "failed" | "expired";
}

function row(token: EdgeKvTokenSummary, nowMs: number): ListedRow {
  const kind = edgeKvTokenKind(token);
  const days = daysToExpiry(token, nowMs);
  return {
    name: token.name,
    uuid: token.uuid,
    kind,
    state: tokenState(token, nowMs),
    expiry: token.expiry,
    daysToExpiry: Number.isFinite(days) ? days : null,
    ...(token.tokenActivationStatus !== undefined ? { tokenActivationStatus: token.tokenActivationStatus } : {}),
    ...(token.issueDate !== undefined ? { issueDate: token.issueDate } : {}),
    ...(token.latestRefreshDate !== undefined ? { latestRefreshDate: token.latestRefreshDate } : {}),
    ...(token.nextScheduledRefreshDate !== undefined ? { nextScheduledRefreshDate: token.nextScheduledRefreshDate } : {}),
  };
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

async function list(context: TokensContext, client: EdgeKvTokensClient): Promise<number> {
  const { io, env } = context;
  const nowMs = io.now();
  const includeExpired = context.flags.booleans.has("--include-expired");
  // With --env, the reconcile's view needs expired tokens too (they explain a missing current token).
  const listed = await listTokens(io, client, includeExpired || env !== undefined);
  let rows: ListedRow[];
  if (env === undefined) {
    rows = listed.map((t) => row(t, nowMs));
  } else {
    rows = [];
    for (const declared of env.edgeKv.tokens) {
      const mine = prefixTokens(declared.namePrefix, listed, nowMs);
      const roles: Array<[EdgeKvTokenSummary[], NonNullable<ListedRow["role"]>]> = [
        [mine.pendingNewer, "pending"],
        [mine.current ? [mine.current] : [], "current"],
        [mine.superseded, "superseded"],
        [mine.failed, "failed"],
        [includeExpired ? mine.expired : [], "expired"],
      ];
      for (const [tokens, role] of roles)
        for (const t of tokens) rows.push({ ...row(t, nowMs), prefix: declared.namePrefix, role });
    }
  }
  if (context.json) {
    io.stdout(`${JSON.stringify(env ? { environment: env.name, tokens: rows } : { tokens: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout(
      env
        ? `no tokens of environment ${env.name}'s declared prefixes (${env.edgeKv.tokens.map((d) => d.namePrefix).join(", ") || "none declared"})\n`
        : "no tokens\n",
    );
    return 0;
  }
  const headers = [...(env ? ["PREFIX", "ROLE"] : []), "NAME", "KIND", "STATUS", "EXPIRY", "DAYS LEFT", "UUID"];
  const cells = rows.map((r) => [
    ...(env ? [r.prefix ?? "", r.role ?? ""] : []),
    r.name,
    r.kind,
    r.kind === "enhanced" ? (r.tokenActivationStatus ?? "-") : r.state === "expired" ? "EXPIRED" : "VALID",
    r.kind === "enhanced" ? "never" : r.expiry,
    r.daysToExpiry === null ? "-" : String(r.daysToExpiry),
    r.uuid,
  ]);
  io.stdout(table(headers, cells));
  if (env) {
    const missing = env.edgeKv.tokens
      .filter((d) => !rows.some((r) => r.prefix === d.namePrefix && r.role === "current"))
      .map((d) => d.namePrefix);
    if (missing.length > 0)
      io.stdout(
        `no current token for: ${missing.join(", ")} (the environment's reconcile creates it; or: edgeplane tokens create --env ${env.name} PREFIX)\n`,
      );
  }
  return 0;
}
