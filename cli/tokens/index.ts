/**
 * `edgeplane tokens list|create|refresh|revoke|write-file`: the jobs of Akamai's EdgeKV token CLI
 * (`akamai edgekv list|create|show|refresh|revoke token`) with an .edgerc credential, sharing the
 * runtime's client (core/akamai/edgekv-tokens.ts) and file writer (core/tokens/).
 *
 * --env E adds the environment's declared tokens (config/) as defaults: list shows only their tokens
 * and which one is current; create takes a declared namePrefix and makes the next dated token with the
 * declared permissions; write-file writes the current token of each declared prefix. The credential
 * still comes from --edgerc (the environment's own credential lives in Secrets Manager).
 *
 * Token values (legacy tokens' JWTs) are secrets: no subcommand prints them; write-file puts them into
 * a file or bundle only. Exit codes: 0 done; 1 failed (API refusal, unreadable file, …); 64 bad command line.
 */
import { ConfigError, loadEnvironments, type EnvironmentConfig } from "../../config";
import { AkamaiApiError, AkamaiResponseShapeError, describeUnreadable } from "../../core/akamai/api-error";
import {
  EdgeKvTokenRequestError,
  EdgeKvTokensClient,
  daysToExpiry,
  edgeKvTokenKind,
  type CreateEdgeKvTokenRequest,
  type EdgeKvPermission,
  type EdgeKvToken,
  type EdgeKvTokenSummary,
} from "../../core/akamai/edgekv-tokens";
import { EdgeWorkersRequestError } from "../../core/akamai/edgeworkers";
import { TgzFormatError } from "../../core/akamai/tgz";
import { EdgeGridCredentialsError, readEdgerc } from "../../core/edgegrid/credentials";
import { EdgeGridHostError } from "../../core/edgegrid/host-safety";
import { EdgeGridNetworkError, EdgeGridResponseFormatError, EdgeGridTransport } from "../../core/edgegrid/transport";
import type { TokenIdentity } from "../../core/tokens/bundle";
import { createRequestFor, declaredNamespaces } from "../../core/tokens/declared";
import { freeTokenNames } from "../../core/tokens/names";
import { prefixTokens, tokenState, type TokenState } from "../../core/tokens/select";
import { TokensFileError, entriesFor, tokenEntry, type TokensFileEntries } from "../../core/tokens/tokens-file";
import { CommandError, type CommandIo, UsageError, processIo } from "../io";
import { choice, flagValue, parseFlags, refuseFlags, type FlagSpec, type ParsedFlags } from "./flags";
import { legacyTokenNamespaces, writeTarget, writeTokens } from "./write-file";

export const DEFAULT_EDGERC = "~/.edgerc";
export const SUBCOMMANDS = ["list", "create", "refresh", "revoke", "write-file"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

export const TOKENS_USAGE = `usage: edgeplane tokens <command> [options]

commands:
  list [--include-expired]            the account's EdgeKV access tokens (with --env: the environment's, and which is current)
  create NAME --namespace NS=PERMS --staging allow|deny --production allow|deny [--ewids all|ID,ID] [--expiry YYYY-MM-DD]
  create --env E PREFIX               the next dated token <PREFIX>-<YYYYMMDD>[-n] with E's declared permissions
  refresh NAME                        force an enhanced token's refresh (POST /edgekv/v1/tokens/NAME/refresh)
  revoke NAME --yes                   revoke a token (irreversible: bundles still using it get 401 from EdgeKV)
  write-file NAME... --out PATH       write the tokens into edgekv_tokens.js (PATH: a file, a directory, or a .tgz bundle)
  write-file --env E --out PATH       the same with the current token of each of E's declared tokens

options:
  --edgerc PATH        .edgerc file (default ${DEFAULT_EDGERC}); --section S picks the section (default "default")
  --env E              an environment in config/: its declared tokens are the defaults (see above)
  --json               print the result as JSON on stdout
  --namespace NS=PERMS create: a namespace and its permissions from r, w, d (e.g. site_config=r; repeatable;
                       "NS+PERMS" as in Akamai's CLI is accepted). write-file: NS alone picks the namespaces the
                       entries are written for (default: the token's own namespaces)
  --staging, --production allow|deny   create: where the token may be used (at least one allow)
  --ewids all|ID,ID    create: EdgeWorker ids that may use the token (default all)
  --expiry YYYY-MM-DD  create: expiry, used only if Akamai makes a legacy token (at most six months out)
  --overwrite          write-file: replace entries of other tokens for the same namespaces
  --bump-version       write-file into a .tgz: also set bundle.json's edgeworker-version to <version>-ekv.<hash>
  --yes                revoke: confirm

Token values are never printed: a legacy token's JWT only ever goes into the file write-file writes (mode 0600).
Exit status: 0 done; 1 the API or a file refused; 64 a bad command line.
`;

const COMMON: FlagSpec[] = [
  { name: "--edgerc", value: "an .edgerc file path" },
  { name: "--section", value: "an .edgerc section name" },
  { name: "--env", value: "an environment name from config/" },
  { name: "--json" },
  { name: "--help" },
];
const SPECS: Record<Subcommand, FlagSpec[]> = {
  list: [...COMMON, { name: "--include-expired" }],
  create: [
    ...COMMON,
    { name: "--namespace", value: "NS=PERMS, e.g. site_config=r or site_config=rw", repeatable: true },
    { name: "--staging", value: "allow or deny" },
    { name: "--production", value: "allow or deny" },
    { name: "--ewids", value: "all, or EdgeWorker ids separated by commas" },
    { name: "--expiry", value: "a date YYYY-MM-DD" },
  ],
  refresh: COMMON,
  revoke: [...COMMON, { name: "--yes" }],
  "write-file": [
    ...COMMON,
    { name: "--out", value: "a file, a directory or a .tgz bundle" },
    { name: "--namespace", value: "an EdgeKV namespace name", repeatable: true },
    { name: "--overwrite" },
    { name: "--bump-version" },
  ],
};

interface Context {
  sub: Subcommand;
  flags: ParsedFlags;
  io: CommandIo;
  json: boolean;
  env?: EnvironmentConfig;
}

export async function tokensCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`edgeplane tokens: ${error.message}\n(see edgeplane tokens --help)\n`);
      return 64;
    }
    const message = failureMessage(error);
    if (message === undefined) throw error;
    io.stderr(`edgeplane tokens: ${message}\n`);
    return 1;
  }
}

/** The message for an expected failure, or undefined for a bug (rethrown). */
export function failureMessage(error: unknown): string | undefined {
  if (error instanceof AkamaiApiError) {
    const hint =
      error.status === 401
        ? " (the credential was refused: check the .edgerc section's tokens, secret and host, and this machine's clock)"
        : error.status === 403
          ? " (the credential lacks a permission: its API client needs the EdgeKV API service, with access token permissions)"
          : "";
    return `${error.message}${hint}`;
  }
  const known = [
    CommandError,
    ConfigError,
    EdgeGridCredentialsError,
    EdgeGridHostError,
    EdgeGridNetworkError,
    EdgeGridResponseFormatError,
    AkamaiResponseShapeError,
    EdgeKvTokenRequestError,
    EdgeWorkersRequestError,
    TokensFileError,
    TgzFormatError,
  ];
  return known.some((type) => error instanceof type) ? (error as Error).message : undefined;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    io.stdout(TOKENS_USAGE);
    return first === undefined ? 64 : 0;
  }
  const sub = choice("command", first, SUBCOMMANDS);
  const flags = parseFlags(rest, SPECS[sub]);
  if (flags.booleans.has("--help")) {
    io.stdout(TOKENS_USAGE);
    return 0;
  }
  const envName = flagValue(flags, "--env");
  let env: EnvironmentConfig | undefined;
  if (envName !== undefined) {
    const environments = loadEnvironments();
    env = environments.find((e) => e.name === envName);
    if (env === undefined) throw new UsageError(`--env "${envName}" is not an environment in config/; allowed: ${environments.map((e) => e.name).join(", ")}`);
  }
  const context: Context = { sub, flags, io, json: flags.booleans.has("--json"), ...(env ? { env } : {}) };
  const plan = prepare(context);
  const credentials = readEdgerc(flagValue(flags, "--edgerc") ?? DEFAULT_EDGERC, flagValue(flags, "--section") ?? "default");
  const transport = new EdgeGridTransport({ credentials, env: io.env, userAgent: "edgeplane-tokens" });
  try {
    return await plan(new EdgeKvTokensClient(transport));
  } finally {
    transport.close();
  }
}

/** Checks the command line completely before anything is read or sent; returns the work to do. */
function prepare(context: Context): (client: EdgeKvTokensClient) => Promise<number> {
  const { sub, flags } = context;
  const names = flags.positionals;
  switch (sub) {
    case "list":
      if (names.length > 0) throw new UsageError(`list takes no arguments; got "${names[0]}"`);
      return (client) => list(context, client);
    case "create":
      return prepareCreate(context);
    case "refresh":
    case "revoke": {
      if (names.length !== 1) throw new UsageError(`${sub} takes one token name; got ${names.length}`);
      if (sub === "revoke" && !flags.booleans.has("--yes")) {
        throw new UsageError(`revoking is irreversible (EdgeWorkers still using ${names[0]} get 401 from EdgeKV); add --yes to confirm`);
      }
      const name = names[0] as string;
      return sub === "refresh" ? (client) => refresh(context, client, name) : (client) => revoke(context, client, name);
    }
    case "write-file":
      return prepareWriteFile(context);
  }
}

// ---- list ----

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
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** The readable tokens; list items that could not be read are named in a warning on stderr (never fatal). */
async function listTokens(io: CommandIo, client: EdgeKvTokensClient, includeExpired: boolean): Promise<EdgeKvTokenSummary[]> {
  const { tokens, unreadable } = await client.listTokensDetailed({ includeExpired });
  if (unreadable.length > 0) io.stderr(`edgeplane tokens: warning: the token list has ${describeUnreadable(unreadable)}; left out\n`);
  return tokens;
}

async function list(context: Context, client: EdgeKvTokensClient): Promise<number> {
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
      for (const [tokens, role] of roles) for (const t of tokens) rows.push({ ...row(t, nowMs), prefix: declared.namePrefix, role });
    }
  }
  if (context.json) {
    io.stdout(`${JSON.stringify(env ? { environment: env.name, tokens: rows } : { tokens: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout(env ? `no tokens of environment ${env.name}'s declared prefixes (${env.edgeKv.tokens.map((d) => d.namePrefix).join(", ") || "none declared"})\n` : "no tokens\n");
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
    const missing = env.edgeKv.tokens.filter((d) => !rows.some((r) => r.prefix === d.namePrefix && r.role === "current")).map((d) => d.namePrefix);
    if (missing.length > 0) io.stdout(`no current token for: ${missing.join(", ")} (the environment's reconcile creates it; or: edgeplane tokens create --env ${env.name} PREFIX)\n`);
  }
  return 0;
}

// ---- create ----

const PERMISSIONS = /^(?:([A-Za-z0-9_][A-Za-z0-9_-]{0,31})[=+:]([rwd]{1,3}))$/;

function parseNamespacePermissions(values: readonly string[]): Record<string, EdgeKvPermission[]> {
  const result: Record<string, EdgeKvPermission[]> = {};
  for (const value of values.flatMap((v) => v.split(",")).map((v) => v.trim())) {
    const match = PERMISSIONS.exec(value);
    const permissions = match ? [...(match[2] as string)] : [];
    if (!match || new Set(permissions).size !== permissions.length) {
      throw new UsageError(`--namespace "${value}" is not NS=PERMS; expected a namespace name and 1-3 distinct permissions from r, w, d, e.g. site_config=r`);
    }
    if (result[match[1] as string] !== undefined) throw new UsageError(`--namespace names ${match[1]} more than once`);
    result[match[1] as string] = permissions as EdgeKvPermission[];
  }
  return result;
}

function prepareCreate(context: Context): (client: EdgeKvTokensClient) => Promise<number> {
  const { flags, env } = context;
  if (flags.positionals.length !== 1) {
    throw new UsageError(env ? "create --env E takes one declared namePrefix" : `create takes one token name (1-32 characters of A-Z a-z 0-9 _ -); got ${flags.positionals.length}`);
  }
  const argument = flags.positionals[0] as string;
  if (env) {
    refuseFlags(flags, ["--namespace", "--staging", "--production", "--ewids"], `does not apply with --env: the declared token's settings are used`);
    const declared = env.edgeKv.tokens.find((d) => d.namePrefix === argument);
    if (!declared) {
      throw new UsageError(`"${argument}" is not a declared token of environment ${env.name}; declared prefixes: ${env.edgeKv.tokens.map((d) => d.namePrefix).join(", ") || "none"}`);
    }
    const expiry = flagValue(flags, "--expiry");
    return async (client) => {
      const taken = new Set((await listTokens(context.io, client, true)).map((t) => t.name));
      const name = freeTokenNames(declared.namePrefix, context.io.now(), taken).next().value;
      if (name === undefined) throw new CommandError(`no free token name left for ${declared.namePrefix} today`);
      return create(context, client, createRequestFor(declared, name, expiry ?? defaultExpiry(context.io.now())));
    };
  }
  const namespaceValues = flags.values.get("--namespace") ?? [];
  if (namespaceValues.length === 0) throw new UsageError("create needs --namespace NS=PERMS (repeatable), e.g. --namespace site_config=r");
  const staging = flagValue(flags, "--staging");
  const production = flagValue(flags, "--production");
  if (staging === undefined || production === undefined) throw new UsageError("create needs --staging allow|deny and --production allow|deny");
  const allowOnStaging = choice("--staging", staging, ["allow", "deny"] as const) === "allow";
  const allowOnProduction = choice("--production", production, ["allow", "deny"] as const) === "allow";
  if (!allowOnStaging && !allowOnProduction) throw new UsageError("--staging and --production cannot both be deny: a token must be usable somewhere");
  const ewids = flagValue(flags, "--ewids");
  let restrict: string[] | undefined;
  if (ewids !== undefined && ewids !== "all") {
    restrict = ewids.split(",").map((id) => id.trim());
    if (!restrict.every((id) => /^[1-9]\d{0,11}$/.test(id))) throw new UsageError(`--ewids "${ewids}" is not allowed; expected all, or EdgeWorker ids separated by commas`);
    if (restrict.length > 8) throw new UsageError("--ewids takes at most 8 EdgeWorker ids");
  }
  const expiry = flagValue(flags, "--expiry");
  if (expiry !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) throw new UsageError(`--expiry "${expiry}" is not a date YYYY-MM-DD`);
  const request: CreateEdgeKvTokenRequest = {
    name: argument,
    allowOnStaging,
    allowOnProduction,
    namespacePermissions: parseNamespacePermissions(namespaceValues),
    ...(restrict ? { restrictToEdgeWorkerIds: restrict } : {}),
    ...(expiry ? { expiry } : {}),
  };
  return (client) => create(context, client, request);
}

function defaultExpiry(nowMs: number): string {
  return new Date(nowMs + 180 * 86_400_000).toISOString().slice(0, 10);
}

/** A token as the CLI shows it: everything but the value. */
function shown(token: EdgeKvToken): Record<string, unknown> {
  const { value: _value, ...rest } = token;
  return { ...rest, kind: edgeKvTokenKind(token) };
}

async function create(context: Context, client: EdgeKvTokensClient, request: CreateEdgeKvTokenRequest): Promise<number> {
  const token = await client.createToken(request);
  if (context.json) {
    context.io.stdout(`${JSON.stringify(shown(token), null, 2)}\n`);
    return 0;
  }
  const kind = edgeKvTokenKind(token);
  const namespaces = Object.entries(request.namespacePermissions).map(([ns, p]) => `${ns} (${p.join("")})`).join(", ");
  context.io.stdout(
    [
      `created ${kind} token ${token.name} (uuid ${token.uuid})`,
      `  namespaces: ${namespaces}`,
      `  staging: ${request.allowOnStaging ? "allowed" : "denied"}, production: ${request.allowOnProduction ? "allowed" : "denied"}, EdgeWorkers: ${request.restrictToEdgeWorkerIds?.join(", ") ?? "all"}`,
      kind === "legacy"
        ? `  expires ${token.expiry}; its value is not printed`
        : `  activation: ${token.tokenActivationStatus ?? "unknown"} (bundles may reference it once it is COMPLETE)`,
      `  put it in a bundle: edgeplane tokens write-file ${token.name} --out PATH`,
      "",
    ].join("\n"),
  );
  return 0;
}

// ---- refresh / revoke ----

async function refresh(context: Context, client: EdgeKvTokensClient, name: string): Promise<number> {
  const token = await client.refreshToken(name);
  if (context.json) context.io.stdout(`${JSON.stringify(shown(token), null, 2)}\n`);
  else {
    context.io.stdout(
      `refreshed ${token.name}: latest refresh ${token.latestRefreshDate ?? "-"}, next scheduled refresh ${token.nextScheduledRefreshDate ?? "-"}\n`,
    );
  }
  return 0;
}

async function revoke(context: Context, client: EdgeKvTokensClient, name: string): Promise<number> {
  const revoked = await client.revokeToken(name);
  context.io.stdout(context.json ? `${JSON.stringify({ revoked }, null, 2)}\n` : `revoked ${revoked.name} (uuid ${revoked.uuid})\n`);
  return 0;
}

// ---- write-file ----

function prepareWriteFile(context: Context): (client: EdgeKvTokensClient) => Promise<number> {
  const { flags, env } = context;
  const out = flagValue(flags, "--out");
  if (out === undefined) throw new UsageError("write-file needs --out PATH (a file, a directory, or a .tgz bundle)");
  const namespaces = flags.values.get("--namespace");
  for (const ns of namespaces ?? []) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(ns)) throw new UsageError(`--namespace "${ns}" is not an EdgeKV namespace name`);
  }
  if (env) {
    if (flags.positionals.length > 0) throw new UsageError("write-file --env E takes no token names: it writes the current token of each declared token");
    refuseFlags(flags, ["--namespace"], "does not apply with --env: the declared namespaces are used");
  } else if (flags.positionals.length === 0) {
    throw new UsageError("write-file needs token names (or --env E for the environment's current tokens)");
  }
  if (flags.booleans.has("--bump-version") && !/\.tgz$/i.test(out)) throw new UsageError("--bump-version only applies when --out is a .tgz bundle");
  const target = writeTarget(out);
  return async (client) => {
    const entries: TokensFileEntries = {};
    const identities: TokenIdentity[] = [];
    const add = (token: EdgeKvToken, forNamespaces: readonly string[]): void => {
      for (const [namespace, entry] of Object.entries(entriesFor(forNamespaces, tokenEntry(token)))) {
        if (entries[namespace] !== undefined) throw new CommandError(`namespace ${namespace} would get two tokens (${entries[namespace]?.name} and ${token.name}); pick one`);
        entries[namespace] = entry;
        identities.push({ namespace, name: token.name, uuid: token.uuid });
      }
      if (token.tokenActivationStatus !== undefined && token.tokenActivationStatus !== "COMPLETE") {
        context.io.stderr(`edgeplane tokens: warning: ${token.name} is ${token.tokenActivationStatus}; EdgeWorkers refuses bundles that reference it until it is COMPLETE\n`);
      }
    };
    if (env) {
      const listed = await listTokens(context.io, client, true);
      const missing: string[] = [];
      for (const declared of env.edgeKv.tokens) {
        const current = prefixTokens(declared.namePrefix, listed, context.io.now()).current;
        if (current === undefined) missing.push(declared.namePrefix);
        else add(await client.getToken(current.name), declaredNamespaces(declared));
      }
      if (missing.length > 0) throw new CommandError(`environment ${env.name} has no usable token for: ${missing.join(", ")} (nothing written)`);
    } else {
      for (const name of flags.positionals) {
        const token = await client.getToken(name);
        add(token, namespaces ?? namespacesOf(token));
      }
    }
    const written = writeTokens(target, entries, {
      overwrite: flags.booleans.has("--overwrite"),
      bumpVersion: flags.booleans.has("--bump-version"),
      identities,
    });
    if (context.json) {
      context.io.stdout(`${JSON.stringify(written, null, 2)}\n`);
    } else {
      const lines = [
        `wrote ${written.path}${written.bundleVersion !== undefined ? ` (edgeworker-version ${written.bundleVersion})` : ""}:`,
        ...written.entries.map((e) => `  namespace-${e.namespace}: ${e.name} (${e.kind === "legacy" ? "value" : "reference"})`),
        ...(written.kept.length > 0 ? [`  kept: ${written.kept.map((ns) => `namespace-${ns}`).join(", ")}`] : []),
        "",
      ];
      context.io.stdout(lines.join("\n"));
    }
    return 0;
  };
}

function namespacesOf(token: EdgeKvToken): string[] {
  const namespaces =
    token.namespacePermissions !== undefined
      ? Object.keys(token.namespacePermissions).sort()
      : token.value !== undefined
        ? legacyTokenNamespaces(token.value)
        : undefined;
  if (namespaces === undefined || namespaces.length === 0) {
    throw new CommandError(`cannot tell which namespaces token ${token.name} covers; name them with --namespace NS`);
  }
  return namespaces;
}
