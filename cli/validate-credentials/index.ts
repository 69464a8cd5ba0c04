/**
 * `edgeplane validate-credentials [--edgerc PATH] [--section S] [--json]`: checks that an EdgeGrid credential
 * (from --edgerc, the AKAMAI_* variables or ~/.edgerc) works and reaches every API the runtime uses
 * (checks.ts), prints what is present and what is missing, and exits non-zero if anything is not ok.
 *
 * Exit codes: 0 every check ok; 1 something missing (403), refused (401) or failing; 64 bad command line.
 */
import { loadEnvironments } from "../../config";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { runCommand } from "../command";
import { resolveCredentials } from "../credentials";
import { CREDENTIAL_FLAGS, HELP_FLAG, choice, edgeWorkerIds, flagValue, parseFlags, refuseFlags, type FlagSpec } from "../flags";
import { type CommandIo, UsageError, processIo } from "../io";
import { CDN_VALIDATE_USAGE, runCdnValidation } from "./cdn";
import { checkDefinitions, runCheck, type CheckResult } from "./checks";

export const DEFAULT_EDGERC = "~/.edgerc";

export const VALIDATE_CREDENTIALS_USAGE = `usage: edgeplane validate-credentials [--edgerc PATH] [--section S] [--edgeworker-id N]... [--env E] [--json]
${CDN_VALIDATE_USAGE}
Akamai (the default --cdn):

Checks that the credential in an .edgerc section works and reaches what the runtime needs, with one
harmless signed read per API:
  CCU purge              POST /ccu/v3/rate-limit-status/url
  EdgeKV access tokens   GET /edgekv/v1/tokens
  IAM self-credentials   GET /identity-management/v3/api-clients/self/credentials
  EdgeWorkers            GET /edgeworkers/v1/ids/N/versions per --edgeworker-id, else GET /edgeworkers/v1/ids

  --edgerc PATH        .edgerc file; --section S picks the section (default "default"). Without --edgerc the
                       credential comes from AKAMAI_HOST, AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN
                       (AKAMAI_<S>_* with --section S) when set, else from ${DEFAULT_EDGERC}
  --edgeworker-id N    an EdgeWorker id to check (repeatable, or comma-separated)
  --env E              check the EdgeWorker ids environment E's declared tokens use (edgeWorkerIds, deployTo)
  --json               print {"ok", "host", "checks":[{"id","title","outcome","calls","status","detail","hint"}]}

Outcomes: ok; missing (HTTP 403: the API client lacks the API service); refused (HTTP 401: the credential
itself was not accepted); error (anything else). The checks read only: they do not prove write access.
Exit status: 0 when every check is ok; 1 otherwise; 64 for a bad command line.
`;

export const VALIDATE_CREDENTIALS_FLAGS: readonly FlagSpec[] = [
  ...CREDENTIAL_FLAGS,
  { name: "--edgeworker-id", value: "an EdgeWorker id", repeatable: true },
  { name: "--env", value: "an environment name from config/" },
  { name: "--json" },
  { name: "--cdn", value: "one of akamai, fastly, cloudflare, cloudfront" },
  { name: "--service-id", value: "a Fastly service id" },
  { name: "--zone-id", value: "a Cloudflare zone id (32 hex characters)" },
  { name: "--account-id", value: "a Cloudflare account id (32 hex characters)" },
  { name: "--distribution-id", value: "a CloudFront distribution id" },
  { name: "--allow-purge-all" },
  { name: "--probe" },
  HELP_FLAG,
];

const CDNS = ["akamai", "fastly", "cloudflare", "cloudfront"] as const;

const LABELS: Record<CheckResult["outcome"], string> = { ok: "ok", missing: "MISSING", refused: "REFUSED", error: "ERROR" };

export async function validateCredentialsCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  return runCommand("validate-credentials", io, () => run(argv, io));
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, VALIDATE_CREDENTIALS_FLAGS);
  if (flags.booleans.has("--help")) {
    io.stdout(VALIDATE_CREDENTIALS_USAGE);
    return 0;
  }
  if (flags.positionals.length > 0)
    throw new UsageError(`unexpected argument "${flags.positionals[0]}"; validate-credentials takes options only`);
  const cdn = choice("--cdn", flagValue(flags, "--cdn") ?? "akamai", CDNS);
  if (cdn !== "akamai") return runCdnValidation(cdn, flags, io);
  refuseFlags(
    flags,
    ["--service-id", "--zone-id", "--account-id", "--distribution-id", "--allow-purge-all", "--probe"],
    "only applies with --cdn fastly, cloudflare or cloudfront (the default --cdn is akamai)",
  );
  const ids = edgeWorkerIds("--edgeworker-id", flags.values.get("--edgeworker-id") ?? []);
  const envName = flagValue(flags, "--env");
  if (envName !== undefined) {
    const environments = loadEnvironments();
    const env = environments.find((e) => e.name === envName);
    if (!env)
      throw new UsageError(
        `--env "${envName}" is not an environment in config/; allowed: ${environments.map((e) => e.name).join(", ")}`,
      );
    for (const token of env.edgeKv.tokens) {
      for (const id of [...token.edgeWorkerIds, ...(token.deployTo ? [token.deployTo.edgeWorkerId] : [])])
        if (!ids.includes(id)) ids.push(id);
    }
  }
  const edgercFlag = flagValue(flags, "--edgerc");
  const section = flagValue(flags, "--section") ?? "default";
  const resolved = resolveCredentials(
    { ...(edgercFlag !== undefined ? { edgerc: edgercFlag } : {}), section },
    io.env,
    DEFAULT_EDGERC,
  );
  const credentials = resolved.credentials;
  // "edgerc" in --json stays the file read, or null when the credential came from AKAMAI_* variables.
  const edgerc = resolved.from === "edgerc" ? (edgercFlag ?? DEFAULT_EDGERC) : null;
  const transport = new EdgeGridTransport({
    credentials,
    env: io.env,
    userAgent: "edgeplane-validate-credentials",
    timeoutMs: 20_000,
  });
  let results: CheckResult[];
  try {
    results = await Promise.all(checkDefinitions(ids).map((definition) => runCheck(definition, transport)));
  } finally {
    transport.close();
  }
  const ok = results.every((r) => r.outcome === "ok");
  if (flags.booleans.has("--json")) {
    io.stdout(`${JSON.stringify({ ok, edgerc, section, host: credentials.host, checks: results }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  const width = Math.max(...results.map((r) => r.title.length));
  const lines = [`credential ${edgerc === null ? resolved.source : `[${section}] in ${edgerc}`}, host ${credentials.host}`];
  for (const r of results) {
    lines.push(
      `  ${LABELS[r.outcome].padEnd(7)}  ${r.title.padEnd(width)}  ${r.outcome === "ok" ? `${r.calls.join(", ")}: ${r.detail}` : r.detail}`,
    );
    if (r.hint) lines.push(`  ${"".padEnd(7)}  ${"".padEnd(width)}  → ${r.hint}`);
  }
  const bad = results.filter((r) => r.outcome !== "ok");
  if (bad.length === 0) lines.push(`all ${results.length} checks passed (reads only: write access is not exercised)`);
  else if (bad.every((r) => r.outcome === "refused") && bad.length === results.length)
    lines.push("the credential was refused by every API (HTTP 401)");
  else
    lines.push(
      `${results.length - bad.length} of ${results.length} checks passed; not ok: ${bad.map((r) => `${r.title} (${r.outcome})`).join(", ")}`,
    );
  io.stdout(`${lines.join("\n")}\n`);
  return ok ? 0 : 1;
}
