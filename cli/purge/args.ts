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
import { CDN_NAMES, type CdnName, type CdnObjectType } from "../../core/cdn/types";
import { PURGE_API_TYPES, type PurgeApiType } from "../../core/jobs/purge-api-contract";
import { CLOUDFLARE_PLANS, type CloudflarePlan } from "../../core/cdn/cloudflare";
import {
  CREDENTIAL_FLAGS,
  type FlagSpec,
  HELP_FLAG,
  type ParsedFlags,
  choice,
  flagValue,
  parseFlags,
  refuseFlags,
} from "../flags";
import { UsageError } from "../io";

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
  /** --type with --env: what the purge API takes (Akamai's types, and host, prefix, path for the environment's other CDNs). */
  apiType: PurgeApiType;
  /** --cdn NAME with --env: only the environment's targets of these CDNs (resolved with config/ in index.ts). */
  envCdns: CdnName[];
  /** --target KEY with --env: only these targets (targetKey, e.g. fastly:SERVICE). */
  targets: string[];
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
  /** --cdn: akamai (default; the fields above) or a CDN purged directly with its own token (the fields below). */
  cdn: CdnName;
  /** --type for fastly, cloudflare and cloudfront (akamai keeps `type`); default url. */
  cdnType: CdnObjectType;
  serviceId?: string;
  zoneId?: string;
  plan: CloudflarePlan;
  accountId?: string;
  distributionId?: string;
  cacheTags: boolean;
  soft: boolean;
  allowPurgeAll: boolean;
  /** Cloudflare: items per request for --type (the caps are unconfirmed, so they can be set); default by plan. */
  maxPerRequest?: number;
}

/** What --type accepts per CDN (akamai: PURGE_TYPES). CloudFront tags need --cache-tags; `all` needs --allow-purge-all. */
export const CDN_TYPES: Readonly<Record<Exclude<CdnName, "akamai">, readonly CdnObjectType[]>> = {
  fastly: ["url", "tag", "all"],
  cloudflare: ["url", "tag", "host", "prefix", "all"],
  cloudfront: ["url", "path", "tag", "all"],
};

/** The flag that names the thing each CDN purges on, and the flags only that CDN takes. */
const CDN_TARGET_FLAG: Readonly<Record<Exclude<CdnName, "akamai">, string>> = {
  fastly: "--service-id",
  cloudflare: "--zone-id",
  cloudfront: "--distribution-id",
};
const CDN_ONLY_FLAGS: Readonly<Record<Exclude<CdnName, "akamai">, readonly string[]>> = {
  fastly: ["--service-id", "--soft"],
  cloudflare: ["--zone-id", "--plan", "--account-id", "--max-per-request"],
  cloudfront: ["--distribution-id", "--cache-tags"],
};

/**
 * The flags of `edgeplane purge`. A later flag (e.g. --cdn) is one more entry here and one more line in
 * parsePurgeArgs; the parser (cli/flags.ts) needs no change.
 */
export const PURGE_FLAGS: readonly FlagSpec[] = [
  {
    name: "--type",
    value:
      `one of ${PURGE_TYPES.join(", ")} (akamai); fastly ${CDN_TYPES.fastly.join(", ")}; ` +
      `cloudflare ${CDN_TYPES.cloudflare.join(", ")}; cloudfront ${CDN_TYPES.cloudfront.join(", ")}`,
  },
  { name: "--cdn", value: `one of ${CDN_NAMES.join(", ")}` },
  { name: "--target", value: "with --env: a CDN target of the environment, e.g. akamai or fastly:SERVICE", repeatable: true },
  { name: "--action", value: `one of ${PURGE_ACTIONS.join(", ")}` },
  { name: "--network", value: `one of ${PURGE_NETWORKS.join(", ")}` },
  { name: "--file", value: "a file path (one object per line)", repeatable: true },
  ...CREDENTIAL_FLAGS,
  { name: "--allow-host", value: "a hostname such as www.example.com or *.example.com", repeatable: true },
  { name: "--env", value: "an environment name from config/" },
  { name: "--api-url", value: "the purge API URL (stack output purge_api_url)" },
  { name: "--timeout", value: "a number of seconds" },
  { name: "--poll-interval", value: "a number of seconds" },
  { name: "--job", value: "a purge job id", repeatable: true },
  { name: "--service-id", value: "a Fastly service id" },
  { name: "--zone-id", value: "a Cloudflare zone id (32 hex characters)" },
  { name: "--plan", value: `the Cloudflare zone's plan: one of ${CLOUDFLARE_PLANS.join(", ")}` },
  { name: "--account-id", value: "a Cloudflare account id (32 hex characters)" },
  { name: "--max-per-request", value: "a number of items per Cloudflare request, 1 to 500" },
  { name: "--distribution-id", value: "a CloudFront distribution id" },
  { name: "--cache-tags" },
  { name: "--soft" },
  { name: "--allow-purge-all" },
  { name: "--dry-run" },
  { name: "--json" },
  { name: "--quiet" },
  { name: "--skip-invalid" },
  HELP_FLAG,
];

export interface ParseContext {
  /** Environment names from config/, for --env messages. */
  environmentNames: readonly string[];
}

export function parsePurgeArgs(argv: readonly string[], context: ParseContext): PurgeArgs {
  const flags = parseFlags(argv, PURGE_FLAGS);
  const args: PurgeArgs = {
    objects: [],
    readStdin: false,
    files: flags.values.get("--file") ?? [],
    type: "url",
    apiType: "url",
    envCdns: [],
    targets: [],
    network: "staging",
    dryRun: flags.booleans.has("--dry-run"),
    json: flags.booleans.has("--json"),
    quiet: flags.booleans.has("--quiet"),
    skipInvalid: flags.booleans.has("--skip-invalid"),
    section: flagValue(flags, "--section") ?? "default",
    allowHosts: (flags.values.get("--allow-host") ?? []).flatMap((value) => parseAllowHostList(value, "--allow-host")),
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    pollIntervalSeconds: DEFAULT_POLL_INTERVAL_SECONDS,
    jobs: [],
    help: flags.booleans.has("--help"),
    cdn: "akamai",
    cdnType: "url",
    plan: "pro",
    cacheTags: flags.booleans.has("--cache-tags"),
    soft: flags.booleans.has("--soft"),
    allowPurgeAll: flags.booleans.has("--allow-purge-all"),
  };
  flags.positionals.forEach((word, i) => {
    if (word === "-" && !flags.afterTerminator.has(i)) {
      if (args.readStdin) throw new UsageError(`"-" (read objects from standard input) was given more than once`);
      args.readStdin = true;
    } else {
      args.objects.push(word);
    }
  });
  const cdn = choice("--cdn", flagValue(flags, "--cdn") ?? "akamai", CDN_NAMES);
  const type = flagValue(flags, "--type");
  if (flags.values.has("--env")) {
    // Through the purge API: --cdn and --target pick the environment's targets, --type is the API's; the API (which
    // knows which targets take which type) has the last word, so nothing is refused here that it could take.
    if (flags.values.has("--cdn")) args.envCdns.push(cdn);
    args.targets.push(...(flags.values.get("--target") ?? []));
    if (type !== undefined) args.apiType = choice("--type", type, PURGE_API_TYPES);
    if ((PURGE_TYPES as readonly string[]).includes(args.apiType)) args.type = args.apiType as PurgeType;
  } else {
    args.cdn = cdn;
  }
  if (type !== undefined && args.cdn === "akamai" && !flags.values.has("--env")) {
    if (flags.values.has("--cdn") && !(PURGE_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--type "${type}" is not supported by akamai; akamai supports: ${PURGE_TYPES.join(", ")}`);
    }
    args.type = choice("--type", type, PURGE_TYPES);
    args.apiType = args.type;
  }
  if (type !== undefined && args.cdn !== "akamai") {
    const supported = CDN_TYPES[args.cdn];
    if (!(supported as readonly string[]).includes(type)) {
      throw new UsageError(`--type "${type}" is not supported by ${args.cdn}; ${args.cdn} supports: ${supported.join(", ")}`);
    }
    args.cdnType = type as CdnObjectType;
  }
  for (const [flag, field] of [
    ["--service-id", "serviceId"],
    ["--zone-id", "zoneId"],
    ["--account-id", "accountId"],
    ["--distribution-id", "distributionId"],
  ] as const) {
    const value = flagValue(flags, flag);
    if (value !== undefined) args[field] = value;
  }
  const maxPerRequest = flagValue(flags, "--max-per-request");
  if (maxPerRequest !== undefined) {
    if (!/^[1-9][0-9]{0,2}$/.test(maxPerRequest) || Number(maxPerRequest) > 500) {
      throw new UsageError(`--max-per-request "${maxPerRequest}" is not allowed; expected a whole number of items from 1 to 500`);
    }
    args.maxPerRequest = Number(maxPerRequest);
  }
  const plan = flagValue(flags, "--plan");
  if (plan !== undefined) args.plan = choice("--plan", plan, CLOUDFLARE_PLANS);
  const action = flagValue(flags, "--action");
  if (action !== undefined) args.action = choice("--action", action, PURGE_ACTIONS);
  const network = flagValue(flags, "--network");
  if (network !== undefined) args.network = choice("--network", network, PURGE_NETWORKS);
  const edgerc = flagValue(flags, "--edgerc");
  if (edgerc !== undefined) args.edgerc = edgerc;
  const env = flagValue(flags, "--env");
  if (env !== undefined) {
    if (!context.environmentNames.includes(env)) {
      throw new UsageError(`--env "${env}" is not an environment in config/; allowed: ${context.environmentNames.join(", ")}`);
    }
    args.env = env;
  }
  const apiUrl = flagValue(flags, "--api-url");
  if (apiUrl !== undefined) args.apiUrl = apiUrl;
  const timeout = flagValue(flags, "--timeout");
  if (timeout !== undefined) args.timeoutSeconds = seconds("--timeout", timeout, 1, 24 * 3600);
  const poll = flagValue(flags, "--poll-interval");
  if (poll !== undefined) args.pollIntervalSeconds = seconds("--poll-interval", poll, 0.01, MAX_POLL_INTERVAL_SECONDS);
  for (const job of flags.values.get("--job") ?? []) {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(job)) {
      throw new UsageError(
        `--job "${job}" is not a job id; expected the jobId an earlier purge printed (letters, digits, . _ : -)`,
      );
    }
    args.jobs.push(job);
  }

  if (!args.help) checkCombinations(args, flags);
  return args;
}

/**
 * A comma-separated list of allowed hosts (from --allow-host or EDGEPLANE_ALLOW_HOSTS); `source` names
 * where it came from in the error.
 */
export function parseAllowHostList(value: string, source: string): string[] {
  const hosts: string[] = [];
  for (const host of value.split(",").map((h) => h.trim())) {
    if (host === "" && source !== "--allow-host") continue;
    try {
      parseAllowedHostnames([host], source);
    } catch (error) {
      if (error instanceof PurgeInputError) {
        throw new UsageError(
          `${source} "${host}" is not a hostname; expected a lower-case hostname like www.example.com ` +
            `or a wildcard like *.example.com (subdomains only)`,
        );
      }
      throw error;
    }
    hosts.push(host);
  }
  return hosts;
}

function seconds(flag: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(number >= min && number <= max)) {
    throw new UsageError(`${flag} "${value}" is not allowed; expected a number of seconds from ${min} to ${max}`);
  }
  return number;
}

function checkCombinations(args: PurgeArgs, flags: ParsedFlags): void {
  if (args.env === undefined) {
    refuseFlags(flags, ["--target"], "only applies with --env (it picks the environment's CDN targets the purge API sends to)");
  }
  if (args.cdn !== "akamai") {
    checkCdnCombinations(args, args.cdn, flags);
    return;
  }
  if (args.env !== undefined) {
    refuseFlags(
      flags,
      ["--service-id", "--zone-id", "--plan", "--account-id", "--distribution-id", "--cache-tags", "--soft", "--allow-purge-all"],
      "only applies to a direct purge (--cdn fastly, cloudflare or cloudfront without --env); with --env the environment's " +
        "config/ holds each CDN target's settings: pick targets with --target KEY or --cdn NAME",
    );
  }
  refuseFlags(
    flags,
    ["--service-id", "--zone-id", "--plan", "--account-id", "--distribution-id", "--cache-tags", "--soft", "--allow-purge-all"],
    "only applies with --cdn fastly, cloudflare or cloudfront (the default --cdn is akamai)",
  );
  if (args.env !== undefined && args.edgerc !== undefined) {
    throw new UsageError(
      "--env and --edgerc cannot be combined: --env E purges through environment E's purge API (AWS credentials), " +
        "--edgerc PATH purges directly with an Akamai credential",
    );
  }
  if (args.env !== undefined) {
    refuseFlags(
      flags,
      ["--section"],
      "only applies with --edgerc or the AKAMAI_* variables; with --env the purge API holds the Akamai credential",
    );
    refuseFlags(
      flags,
      ["--allow-host"],
      `only applies with --edgerc or the AKAMAI_* variables; with --env the allowed hostnames are environment "${args.env}"'s purgePolicy.allowedHostnames`,
    );
  } else {
    refuseFlags(
      flags,
      ["--api-url", "--timeout", "--poll-interval", "--job"],
      "only applies with --env; direct purges are sent directly and finish before the command returns",
    );
  }
  if (args.apiType !== "url" && args.allowHosts.length > 0) {
    throw new UsageError(`--allow-host only applies to --type url; got --type ${args.apiType}`);
  }
  if (args.jobs.length > 0) {
    if (args.objects.length > 0 || args.files.length > 0 || args.readStdin) {
      throw new UsageError('--job follows jobs already submitted; it cannot be combined with objects, --file or "-"');
    }
    if (args.dryRun)
      throw new UsageError("--dry-run cannot be combined with --job (a job already submitted has nothing to plan)");
    if (args.skipInvalid) throw new UsageError("--skip-invalid cannot be combined with --job");
    if (args.targets.length > 0 || args.envCdns.length > 0) {
      throw new UsageError(
        "--target and --cdn cannot be combined with --job (the job's targets were chosen when it was submitted)",
      );
    }
  }
}

function checkCdnCombinations(args: PurgeArgs, cdn: Exclude<CdnName, "akamai">, flags: ParsedFlags): void {
  refuseFlags(
    flags,
    ["--env", "--edgerc", "--section", "--action", "--network", "--api-url", "--timeout", "--poll-interval", "--job"],
    `only applies to akamai; --cdn ${cdn} purges directly with ${cdn === "cloudfront" ? "AWS credentials" : "the CDN's own token"}`,
  );
  for (const [other, flagsOfOther] of Object.entries(CDN_ONLY_FLAGS)) {
    if (other !== cdn) refuseFlags(flags, flagsOfOther, `only applies with --cdn ${other}; got --cdn ${cdn}`);
  }
  const target = CDN_TARGET_FLAG[cdn];
  if (!flags.values.has(target)) throw new UsageError(`--cdn ${cdn} needs ${target}`);
  if (args.allowHosts.length > 0 && !["url", "host", "prefix"].includes(args.cdnType)) {
    const types = cdn === "cloudflare" ? "url, host or prefix" : "url";
    throw new UsageError(`--allow-host only applies to --type ${types}; got --type ${args.cdnType}`);
  }
  if (args.cdnType === "all") {
    if (!args.allowPurgeAll) throw new UsageError(`--type all purges everything on ${cdn}: confirm it with --allow-purge-all`);
    if (args.soft) {
      throw new UsageError(
        "--soft cannot be combined with --type all: Fastly cannot soft-purge everything (soft-purge a key every object carries instead)",
      );
    }
    if (args.objects.length > 0 || args.files.length > 0 || args.readStdin) {
      throw new UsageError('--type all purges everything and takes no objects; remove the objects, --file and "-"');
    }
  }
  if (args.accountId !== undefined && !/^[0-9a-f]{32}$/.test(args.accountId)) {
    throw new UsageError(
      `--account-id "${args.accountId}" is not a Cloudflare account id; expected 32 lower-case hex characters`,
    );
  }
  if (args.maxPerRequest !== undefined && args.cdnType === "all") {
    throw new UsageError("--max-per-request does not apply to --type all (one request purges everything)");
  }
  if (cdn === "cloudfront" && args.cdnType === "tag" && !args.cacheTags) {
    throw new UsageError(
      "--type tag on cloudfront needs --cache-tags: only distributions with a cache tag header (CacheTagConfig) can invalidate by tag",
    );
  }
}
