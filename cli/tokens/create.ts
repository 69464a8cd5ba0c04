/** `edgeplane tokens create NAME --namespace NS=PERMS ...` and `tokens create --env E PREFIX`. */
import {
  type CreateEdgeKvTokenRequest,
  type EdgeKvPermission,
  type EdgeKvTokensClient,
  edgeKvTokenKind,
} from "../../core/akamai/edgekv-tokens";
import { createRequestFor } from "../../core/tokens/declared";
import { freeTokenNames } from "../../core/tokens/names";
import { choice, flagValue, refuseFlags } from "../flags";
import { CommandError, UsageError } from "../io";
import { COMMON_FLAGS, type TokensContext, type TokensSubcommand, type TokensWork, listTokens, shown } from "./context";

export const createCommand: TokensSubcommand = {
  flags: [
    ...COMMON_FLAGS,
    { name: "--namespace", value: "NS=PERMS, e.g. site_config=r or site_config=rw", repeatable: true },
    { name: "--staging", value: "allow or deny" },
    { name: "--production", value: "allow or deny" },
    { name: "--ewids", value: "all, or EdgeWorker ids separated by commas" },
    { name: "--expiry", value: "a date YYYY-MM-DD" },
  ],
  prepare: (context) => prepareCreate(context),
};

const PERMISSIONS = /^(?:([A-Za-z0-9_][A-Za-z0-9_-]{0,31})[=+:]([rwd]{1,3}))$/;

function parseNamespacePermissions(values: readonly string[]): Record<string, EdgeKvPermission[]> {
  const result: Record<string, EdgeKvPermission[]> = {};
  for (const value of values.flatMap((v) => v.split(",")).map((v) => v.trim())) {
    const match = PERMISSIONS.exec(value);
    const permissions = match ? [...(match[2] as string)] : [];
    if (!match || new Set(permissions).size !== permissions.length) {
      throw new UsageError(
        `--namespace "${value}" is not NS=PERMS; expected a namespace name and 1-3 distinct permissions from r, w, d, e.g. site_config=r`,
      );
    }
    if (result[match[1] as string] !== undefined) throw new UsageError(`--namespace names ${match[1]} more than once`);
    result[match[1] as string] = permissions as EdgeKvPermission[];
  }
  return result;
}

function prepareCreate(context: TokensContext): TokensWork {
  const { flags, env } = context;
  if (flags.positionals.length !== 1) {
    throw new UsageError(
      env
        ? "create --env E takes one declared namePrefix"
        : `create takes one token name (1-32 characters of A-Z a-z 0-9 _ -); got ${flags.positionals.length}`,
    );
  }
  const argument = flags.positionals[0] as string;
  if (env) {
    refuseFlags(
      flags,
      ["--namespace", "--staging", "--production", "--ewids"],
      `does not apply with --env: the declared token's settings are used`,
    );
    const declared = env.edgeKv.tokens.find((d) => d.namePrefix === argument);
    if (!declared) {
      throw new UsageError(
        `"${argument}" is not a declared token of environment ${env.name}; declared prefixes: ${env.edgeKv.tokens.map((d) => d.namePrefix).join(", ") || "none"}`,
      );
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
  if (namespaceValues.length === 0)
    throw new UsageError("create needs --namespace NS=PERMS (repeatable), e.g. --namespace site_config=r");
  const staging = flagValue(flags, "--staging");
  const production = flagValue(flags, "--production");
  if (staging === undefined || production === undefined)
    throw new UsageError("create needs --staging allow|deny and --production allow|deny");
  const allowOnStaging = choice("--staging", staging, ["allow", "deny"] as const) === "allow";
  const allowOnProduction = choice("--production", production, ["allow", "deny"] as const) === "allow";
  if (!allowOnStaging && !allowOnProduction)
    throw new UsageError("--staging and --production cannot both be deny: a token must be usable somewhere");
  const ewids = flagValue(flags, "--ewids");
  let restrict: string[] | undefined;
  if (ewids !== undefined && ewids !== "all") {
    restrict = ewids.split(",").map((id) => id.trim());
    if (!restrict.every((id) => /^[1-9]\d{0,11}$/.test(id)))
      throw new UsageError(`--ewids "${ewids}" is not allowed; expected all, or EdgeWorker ids separated by commas`);
    if (restrict.length > 8) throw new UsageError("--ewids takes at most 8 EdgeWorker ids");
  }
  const expiry = flagValue(flags, "--expiry");
  if (expiry !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(expiry))
    throw new UsageError(`--expiry "${expiry}" is not a date YYYY-MM-DD`);
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

async function create(context: TokensContext, client: EdgeKvTokensClient, request: CreateEdgeKvTokenRequest): Promise<number> {
  const token = await client.createToken(request);
  if (context.json) {
    context.io.stdout(`${JSON.stringify(shown(token), null, 2)}\n`);
    return 0;
  }
  const kind = edgeKvTokenKind(token);
  const namespaces = Object.entries(request.namespacePermissions)
    .map(([ns, p]) => `${ns} (${p.join("")})`)
    .join(", ");
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
