/**
 * `edgeplane tokens list|create|refresh|revoke|write-file`: the jobs of Akamai's EdgeKV token CLI
 * (`akamai edgekv list|create|show|refresh|revoke token`) with an EdgeGrid credential (--edgerc, the
 * AKAMAI_* variables, or ~/.edgerc), sharing the runtime's client (core/akamai/edgekv-tokens.ts) and file
 * writer (core/tokens/). One file per subcommand; this one dispatches.
 *
 * --env E adds the environment's declared tokens (config/) as defaults: list shows only their tokens
 * and which one is current; create takes a declared namePrefix and makes the next dated token with the
 * declared permissions; write-file writes the current token of each declared prefix. The credential
 * still comes from --edgerc or AKAMAI_* (the environment's own credential lives in Secrets Manager).
 *
 * Token values (legacy tokens' JWTs) are secrets: no subcommand prints them; write-file puts them into
 * a file or bundle only. Exit codes: 0 done; 1 failed (API refusal, unreadable file, …); 64 bad command line.
 */
import { loadEnvironments, type EnvironmentConfig } from "../../config";
import { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { runCommand } from "../command";
import { resolveCredentials } from "../credentials";
import { choice, flagValue, parseFlags } from "../flags";
import { type CommandIo, UsageError, processIo } from "../io";
import type { TokensContext, TokensSubcommand } from "./context";
import { createCommand } from "./create";
import { listCommand } from "./list";
import { refreshCommand } from "./refresh";
import { revokeCommand } from "./revoke";
import { writeFileCommand } from "./write-file";

export const DEFAULT_EDGERC = "~/.edgerc";
export const SUBCOMMANDS = ["list", "create", "refresh", "revoke", "write-file"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const COMMANDS: Record<Subcommand, TokensSubcommand> = {
  list: listCommand,
  create: createCommand,
  refresh: refreshCommand,
  revoke: revokeCommand,
  "write-file": writeFileCommand,
};

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
  --edgerc PATH        .edgerc file; --section S picks the section (default "default"). Without --edgerc the
                       credential comes from AKAMAI_HOST, AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN
                       (AKAMAI_<S>_* with --section S) when set, else from ${DEFAULT_EDGERC}
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

export async function tokensCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  return runCommand("tokens", io, () => run(argv, io));
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    io.stdout(TOKENS_USAGE);
    return first === undefined ? 64 : 0;
  }
  const sub = COMMANDS[choice("command", first, SUBCOMMANDS)];
  const flags = parseFlags(rest, sub.flags);
  if (flags.booleans.has("--help")) {
    io.stdout(TOKENS_USAGE);
    return 0;
  }
  const envName = flagValue(flags, "--env");
  let env: EnvironmentConfig | undefined;
  if (envName !== undefined) {
    const environments = loadEnvironments();
    env = environments.find((e) => e.name === envName);
    if (env === undefined)
      throw new UsageError(
        `--env "${envName}" is not an environment in config/; allowed: ${environments.map((e) => e.name).join(", ")}`,
      );
  }
  const context: TokensContext = { flags, io, json: flags.booleans.has("--json"), ...(env ? { env } : {}) };
  // The whole command line is checked before any credential is read or request sent.
  const work = sub.prepare(context);
  const edgerc = flagValue(flags, "--edgerc");
  const { credentials } = resolveCredentials(
    { ...(edgerc !== undefined ? { edgerc } : {}), section: flagValue(flags, "--section") ?? "default" },
    io.env,
    DEFAULT_EDGERC,
  );
  const transport = new EdgeGridTransport({ credentials, env: io.env, userAgent: "edgeplane-tokens" });
  try {
    return await work(new EdgeKvTokensClient(transport));
  } finally {
    transport.close();
  }
}
