/**
 * The command line of `edgeplane purge`. Every problem is a UsageError (exit 64) that names the flag
 * and what it accepts; unknown flags are errors, never ignored.
 */
import {
  PURGE_ACTIONS,
  PURGE_NETWORKS,
  PURGE_TYPES,
  type PurgeAction,
  type PurgeNetwork,
  type PurgeType,
  PurgeInputError,
  parseAllowedHostnames,
} from "../../core/purge/objects";
import { UsageError } from "./io";

export const DEFAULT_TIMEOUT_SECONDS = 900;
export const DEFAULT_POLL_INTERVAL_SECONDS = 2;
export const MAX_POLL_INTERVAL_SECONDS = 300;

export interface PurgeArgs {
  /** Objects given as arguments, in order. */
  objects: string[];
  /** "-" was given: read objects from standard input. */
  readStdin: boolean;
  files: string[];
  type: PurgeType;
  /** Undefined: the environment's defaultAction with --env, else invalidate. */
  action?: PurgeAction;
  network: PurgeNetwork;
  dryRun: boolean;
  json: boolean;
  quiet: boolean;
  skipInvalid: boolean;
  edgerc?: string;
  section: string;
  allowHosts: string[];
  env?: string;
  apiUrl?: string;
  timeoutSeconds: number;
  pollIntervalSeconds: number;
  /** Jobs to follow instead of submitting objects (--env only). */
  jobs: string[];
  help: boolean;
}

type ValueFlag =
  | "--type"
  | "--action"
  | "--network"
  | "--file"
  | "--edgerc"
  | "--section"
  | "--allow-host"
  | "--env"
  | "--api-url"
  | "--timeout"
  | "--poll-interval"
  | "--job";
type BooleanFlag = "--dry-run" | "--json" | "--quiet" | "--skip-invalid" | "--help";

const VALUE_FLAGS: readonly ValueFlag[] = [
  "--type",
  "--action",
  "--network",
  "--file",
  "--edgerc",
  "--section",
  "--allow-host",
  "--env",
  "--api-url",
  "--timeout",
  "--poll-interval",
  "--job",
];
const BOOLEAN_FLAGS: readonly BooleanFlag[] = ["--dry-run", "--json", "--quiet", "--skip-invalid", "--help"];

/** What each value flag takes, for "needs a value" messages. */
const VALUE_HINTS: Record<ValueFlag, string> = {
  "--type": `one of ${PURGE_TYPES.join(", ")}`,
  "--action": `one of ${PURGE_ACTIONS.join(", ")}`,
  "--network": `one of ${PURGE_NETWORKS.join(", ")}`,
  "--file": "a file path (one object per line)",
  "--edgerc": "an .edgerc file path",
  "--section": "an .edgerc section name",
  "--allow-host": "a hostname such as www.example.com or *.example.com",
  "--env": "an environment name from config/",
  "--api-url": "the purge API URL (stack output purge_api_url)",
  "--timeout": "a number of seconds",
  "--poll-interval": "a number of seconds",
  "--job": "a purge job id",
};

export interface ParseContext {
  /** Environment names from config/, for --env messages. */
  environmentNames: readonly string[];
}

export function parsePurgeArgs(argv: readonly string[], context: ParseContext): PurgeArgs {
  const args: PurgeArgs = {
    objects: [],
    readStdin: false,
    files: [],
    type: "url",
    network: "staging",
    dryRun: false,
    json: false,
    quiet: false,
    skipInvalid: false,
    section: "default",
    allowHosts: [],
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    pollIntervalSeconds: DEFAULT_POLL_INTERVAL_SECONDS,
    jobs: [],
    help: false,
  };
  const seen = new Set<string>();
  const once = (flag: string): void => {
    if (seen.has(flag)) throw new UsageError(`${flag} was given more than once; give it once`);
    seen.add(flag);
  };

  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (flagsEnded || arg === "-" || !arg.startsWith("-")) {
      if (arg === "-" && !flagsEnded) {
        if (args.readStdin) throw new UsageError(`"-" (read objects from standard input) was given more than once`);
        args.readStdin = true;
      } else {
        args.objects.push(arg);
      }
      continue;
    }
    if (arg === "--") {
      flagsEnded = true;
      continue;
    }
    if (arg === "-h") {
      args.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);

    if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value; got "${name}=${inline}"`);
      once(name);
      switch (name as BooleanFlag) {
        case "--dry-run":
          args.dryRun = true;
          break;
        case "--json":
          args.json = true;
          break;
        case "--quiet":
          args.quiet = true;
          break;
        case "--skip-invalid":
          args.skipInvalid = true;
          break;
        case "--help":
          args.help = true;
          break;
      }
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      throw new UsageError(
        `unknown option "${name}"; options: ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].join(", ")} ` +
          `(an object that starts with "-" goes after "--")`,
      );
    }
    const flag = name as ValueFlag;
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`${flag} needs a value: ${VALUE_HINTS[flag]}`);
      }
      value = next;
      i++;
    }
    if (value === "") throw new UsageError(`${flag} needs a value: ${VALUE_HINTS[flag]}`);
    applyValue(args, flag, value, once, context);
  }

  if (!args.help) checkCombinations(args, seen);
  return args;
}

function applyValue(
  args: PurgeArgs,
  flag: ValueFlag,
  value: string,
  once: (flag: string) => void,
  context: ParseContext,
): void {
  switch (flag) {
    case "--type":
      once(flag);
      args.type = choice(flag, value, PURGE_TYPES);
      return;
    case "--action":
      once(flag);
      args.action = choice(flag, value, PURGE_ACTIONS);
      return;
    case "--network":
      once(flag);
      args.network = choice(flag, value, PURGE_NETWORKS);
      return;
    case "--file":
      args.files.push(value);
      return;
    case "--edgerc":
      once(flag);
      args.edgerc = value;
      return;
    case "--section":
      once(flag);
      args.section = value;
      return;
    case "--allow-host":
      // Repeatable; a comma-separated list is accepted too.
      for (const host of value.split(",").map((h) => h.trim())) {
        try {
          parseAllowedHostnames([host], "--allow-host");
        } catch (error) {
          if (error instanceof PurgeInputError) {
            throw new UsageError(
              `--allow-host "${host}" is not a hostname; expected a lower-case hostname like www.example.com ` +
                `or a wildcard like *.example.com (subdomains only)`,
            );
          }
          throw error;
        }
        args.allowHosts.push(host);
      }
      return;
    case "--env":
      once(flag);
      if (!context.environmentNames.includes(value)) {
        throw new UsageError(`--env "${value}" is not an environment in config/; allowed: ${context.environmentNames.join(", ")}`);
      }
      args.env = value;
      return;
    case "--api-url":
      once(flag);
      args.apiUrl = value;
      return;
    case "--timeout":
      once(flag);
      args.timeoutSeconds = seconds(flag, value, 1, 24 * 3600);
      return;
    case "--poll-interval":
      once(flag);
      args.pollIntervalSeconds = seconds(flag, value, 0.01, MAX_POLL_INTERVAL_SECONDS);
      return;
    case "--job":
      if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) {
        throw new UsageError(`--job "${value}" is not a job id; expected the jobId an earlier purge printed (letters, digits, . _ : -)`);
      }
      args.jobs.push(value);
      return;
  }
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} "${value}" is not allowed; allowed: ${allowed.join(", ")}`);
}

function seconds(flag: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(number >= min && number <= max)) {
    throw new UsageError(`${flag} "${value}" is not allowed; expected a number of seconds from ${min} to ${max}`);
  }
  return number;
}

function checkCombinations(args: PurgeArgs, seen: ReadonlySet<string>): void {
  const given = (flag: string): boolean => seen.has(flag) || (flag === "--allow-host" && args.allowHosts.length > 0) || (flag === "--file" && args.files.length > 0) || (flag === "--job" && args.jobs.length > 0);
  if (args.env !== undefined && args.edgerc !== undefined) {
    throw new UsageError(
      "--env and --edgerc cannot be combined: --env E purges through environment E's purge API (AWS credentials), " +
        "--edgerc PATH purges directly with an Akamai credential",
    );
  }
  if (args.env === undefined && args.edgerc === undefined) {
    throw new UsageError("say where to purge: --env E (the environment's purge API) or --edgerc PATH [--section S] (directly)");
  }
  const only = (flags: string[], mode: string, why: string): void => {
    for (const flag of flags) {
      if (given(flag)) throw new UsageError(`${flag} only applies with ${mode}; ${why}`);
    }
  };
  if (args.env !== undefined) {
    only(["--section"], "--edgerc", "with --env the purge API holds the Akamai credential");
    only(["--allow-host"], "--edgerc", `with --env the allowed hostnames are environment "${args.env}"'s purgePolicy.allowedHostnames`);
  } else {
    only(["--api-url", "--timeout", "--poll-interval", "--job"], "--env", "with --edgerc purges are sent directly and finish before the command returns");
    if (args.type === "url" && args.allowHosts.length === 0) {
      throw new UsageError(
        "URL purges with --edgerc need --allow-host HOST (repeatable; *.example.com allows subdomains): every URL's " +
          "host is checked against it so that a wrong list cannot purge another site. (With --env the environment's " +
          "purgePolicy.allowedHostnames is used.)",
      );
    }
  }
  if (args.type !== "url" && args.allowHosts.length > 0) {
    throw new UsageError(`--allow-host only applies to --type url; got --type ${args.type}`);
  }
  if (args.jobs.length > 0) {
    if (args.objects.length > 0 || args.files.length > 0 || args.readStdin) {
      throw new UsageError("--job follows jobs already submitted; it cannot be combined with objects, --file or \"-\"");
    }
    if (args.dryRun) throw new UsageError("--dry-run cannot be combined with --job (a job already submitted has nothing to plan)");
    if (args.skipInvalid) throw new UsageError("--skip-invalid cannot be combined with --job");
  }
}
