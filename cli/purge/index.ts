/**
 * `edgeplane purge`: Fast Purge by URL, CP code or cache tag, through an environment's purge API
 * (--env, SigV4 with the AWS SDK credential chain) or directly with an EdgeGrid credential (--edgerc, or the
 * AKAMAI_* variables; cli/credentials.ts has the order).
 * Exit codes: 0 everything purged; 1 anything rejected or failed (or an error); 64 a bad command line.
 */
import { loadEnvironments, type EnvironmentConfig } from "../../config";
import { type CdnTargetConfig, targetKey } from "../../config/runtime-schema";
import type { PurgeApiType } from "../../core/jobs/purge-api-contract";
import { edgeGridEnvNames, edgeGridEnvPrefix, readEdgerc, readEnvCredentials } from "../../core/edgegrid/credentials";
import type { PurgeAction } from "../../core/purge/objects";
import { MAX_BODY_BYTES } from "../../core/purge/planner";
import { hostsOf } from "../../core/purge/prepare";
import type { SendProgress } from "../../core/purge/sender";
import { runCommand } from "../command";
import { CommandError, type CommandIo, UsageError, processIo } from "../io";
import { PURGE_API_URL_ENV, PurgeApiClient, resolvePurgeApiUrl } from "./api-client";
import {
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  type PurgeArgs,
  parseAllowHostList,
  parsePurgeArgs,
} from "./args";
import { runCdnPurge, type HostPolicy } from "./cdn";
import { type PreparedPurge, directReport, preparePurge, sendPlanned } from "./direct";
import { readObjects } from "./input";
import { ProgressPrinter } from "./progress";
import { type ReportContext, exitCodeOf, rejectedLines, reportJson, summaryText } from "./report";
import { followJobs, purgeViaApi } from "./via-api";

/** Default --allow-host list for direct URL purges (comma-separated). */
export const ALLOW_HOSTS_ENV = "EDGEPLANE_ALLOW_HOSTS";

export const PURGE_USAGE = `usage: edgeplane purge [options] [OBJECT ...]
       edgeplane purge --env E [options] [OBJECT ...]          through environment E's purge API (AWS IAM)
       edgeplane purge [--edgerc PATH] [--section S] [options] directly with an Akamai credential
       edgeplane purge --cdn fastly --service-id ID [options] [OBJECT ...]      directly on Fastly ($FASTLY_API_TOKEN)
       edgeplane purge --cdn cloudflare --zone-id ID [--plan P] [options] ...   directly on Cloudflare ($CLOUDFLARE_API_TOKEN)
       edgeplane purge --cdn cloudfront --distribution-id ID [options] ...      directly on CloudFront (AWS credential chain)

Objects come from the arguments, from --file PATH (one per line; blank lines and lines starting
with "#" are skipped), and from standard input ("-", or piped when no other objects are given).

where to purge (one of):
  --env E               an environment in config/. Requests are signed with SigV4 (service execute-api,
                        the environment's aws.region) using the AWS SDK credential chain (env keys,
                        profile/SSO, GitHub OIDC web identity, instance role).
  --edgerc PATH         directly, with an .edgerc file; --section S picks the section (default "default").
  (neither)             directly, with the credential in AKAMAI_HOST, AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET and
                        AKAMAI_ACCESS_TOKEN (with --section S: AKAMAI_<S>_HOST, ...; S upper-cased), as Akamai's
                        edgegrid libraries read them: the form CI secrets arrive in.

other CDNs (--cdn, default akamai; purged directly, without the AWS side; the --json failure reasons are the
codes of REASON_CODES in core/cdn/types.ts):
  --cdn fastly          --service-id ID; token from FASTLY_API_TOKEN (scope purge_select, limited to the service;
                        purge_all too for --type all). --type url (one request per URL, 16 in parallel), tag
                        (surrogate keys, 256 per request, at most 1 KB each), all. --soft: soft purge (mark stale).
  --cdn cloudflare      --zone-id ID [--plan free|pro|business|enterprise] (default pro: it sets the items per request
                        and the rate limits) [--account-id ID] (named in the summary; validate-credentials uses it
                        for account-owned tokens); token from CLOUDFLARE_API_TOKEN (Zone > Cache Purge).
                        --type url (30 per request, 500 on enterprise), tag, host, prefix (host/path, no scheme)
                        (100 per request each), all (purge everything). --max-per-request N sets the items
                        per request for --type (1-500): Cloudflare's own pages disagree on the caps.
  --cdn cloudfront      --distribution-id ID; AWS SDK credential chain (cloudfront:CreateInvalidation on the
                        distribution's ARN). --type url (becomes its path), path (/a/b, /img/*), tag (#tag items; needs
                        --cache-tags: the distribution has a cache tag header), all ("/*"). Up to 3,000 items and 15
                        wildcards per invalidation, one invalidation at a time. Each path is billed after the first
                        1,000 per month per AWS account.
  --allow-purge-all     required for --type all (which takes no objects)
  With these, --allow-host (or EDGEPLANE_ALLOW_HOSTS) limits the hosts of URLs (and Cloudflare hosts and prefixes);
  without it any http(s) host is accepted (on CloudFront only the URL's path is sent, so say --allow-host to check
  the host). --action, --network, --env, --edgerc and --section are Akamai's only.
  --json batches also carry "cdn" and "type"; "purgeId" is the Fastly purge id, Cloudflare result id or CloudFront
  invalidation id (null if none was given); rejected objects carry a "reason" code and a "detail".

what to purge:
  --type url|cpcode|tag         default url (akamai; see above for the other CDNs); with --env also host, prefix, path
                                (the purge API says which of the environment's targets take them)
  --target KEY                  with --env: only this CDN target of the environment (repeatable): akamai,
                                fastly:SERVICEID, cloudflare:ZONEID, cloudfront:DISTRIBUTIONID; --cdn NAME with --env:
                                all of its targets of that CDN
  --action invalidate|delete    default: the environment's purgePolicy.defaultAction with --env, else invalidate
  --network staging|production  default staging (production must be asked for)
  --file PATH                   objects, one per line (repeatable)
  --allow-host HOST             direct URL purges: the only hosts URLs may use (repeatable, or comma-separated;
                                *.example.com allows subdomains). Default: $${ALLOW_HOSTS_ENV} (comma-separated),
                                else any http(s) host (the credential's Fast Purge permissions are the limit; the
                                summary lists the hosts purged). With --env the environment's
                                purgePolicy.allowedHostnames applies.

how:
  --dry-run             validate and print the planned Fast Purge requests (objects, bytes); send nothing
  --skip-invalid        send the valid objects even if some are rejected (the exit code is still 1)
  --json                print the result as JSON on stdout:
                          {"batches":[{"purgeId","estimatedSeconds","objects"}],"rejected":[{"object","reason"}],
                           "failed":[{"objects","reason","detail",...}]}  ("objects" = how many in that batch)
  --quiet               no progress on stderr
  --api-url URL         with --env: the purge API (stack output purge_api_url); default $${PURGE_API_URL_ENV}
  --timeout SECONDS     with --env: how long to follow the job (default ${DEFAULT_TIMEOUT_SECONDS}); it goes on after that
  --poll-interval SECONDS  with --env: time between status checks (default ${DEFAULT_POLL_INTERVAL_SECONDS})
  --job ID              with --env: follow a job submitted earlier instead of submitting (repeatable)

Invalid objects are listed one by one with the reason, and nothing is sent unless --skip-invalid is given.
Exit status: 0 when everything was purged; 1 when anything was rejected or failed; 64 for a bad command line.
`;

export async function purgeCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  return runCommand("purge", io, () => run(argv, io));
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  // config/ is loaded only for --env (a broken environment file must not stop a direct purge).
  const wantsEnv = argv.some((a) => a === "--env" || a.startsWith("--env="));
  const environments = wantsEnv ? loadEnvironments() : [];
  const args = parsePurgeArgs(argv, { environmentNames: environments.map((e) => e.name) });
  if (args.help) {
    io.stdout(PURGE_USAGE);
    return 0;
  }
  if (args.cdn !== "akamai") return runCdnPurge(args, args.cdn, io, cdnHostPolicy(args, io));
  const env = args.env === undefined ? undefined : environments.find((e) => e.name === args.env);
  if (env !== undefined) return runViaApi(args, env, io);
  return runDirect(args, io);
}

function defaultAction(args: PurgeArgs, env: EnvironmentConfig | undefined): PurgeAction {
  return args.action ?? env?.purgePolicy.defaultAction ?? "invalidate";
}

/** Reads, validates and plans the objects; lists every rejected object on stderr. */
async function prepare(
  args: PurgeArgs,
  io: CommandIo,
  action: PurgeAction,
  allowedHostnames: readonly string[] | "any" | undefined,
): Promise<{ prepared: PreparedPurge; origins: string[]; indexes: number[] }> {
  const source = await readObjects(args, io.stdin, io.stdinIsTty);
  const prepared = preparePurge({
    type: args.type,
    action,
    network: args.network,
    objects: source.objects,
    ...(allowedHostnames ? { allowedHostnames } : {}),
  });
  const indexes = prepared.rejected.map((r) => r.index);
  if (prepared.rejected.length > 0) {
    io.stderr(`edgeplane purge: ${prepared.rejected.length} of ${source.objects.length} object(s) rejected:\n`);
    io.stderr(rejectedLines(prepared.rejected, source.origins, indexes));
  }
  return { prepared, origins: source.origins, indexes };
}

function printDryRun(args: PurgeArgs, io: CommandIo, prepared: PreparedPurge, target: string): number {
  const { batches } = prepared.plan;
  const objects = batches.reduce((n, b) => n + b.objects.length, 0);
  const bytes = batches.reduce((n, b) => n + b.bodyBytes, 0);
  const path = batches[0]?.path ?? `/ccu/v3/${prepared.action}/${prepared.type}/${prepared.network}`;
  if (args.json) {
    io.stdout(
      `${JSON.stringify(
        {
          dryRun: true,
          path,
          batches: batches.map((b) => ({ objects: b.objects.length, bytes: b.bodyBytes })),
          rejected: prepared.rejected.map((r) => ({ object: r.object, reason: r.reason })),
          failed: [],
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const lines = [
      `dry run (${target}): nothing was sent`,
      `${prepared.action} ${prepared.type} on ${prepared.network}: ${objects.toLocaleString("en-US")} object(s) in ${batches.length} request(s) ` +
        `to ${path}, ${bytes.toLocaleString("en-US")} body bytes (at most ${MAX_BODY_BYTES.toLocaleString("en-US")} per request)`,
      ...batches.map(
        (b, i) =>
          `  request ${i + 1}: ${b.objects.length.toLocaleString("en-US")} object(s), ${b.bodyBytes.toLocaleString("en-US")} bytes`,
      ),
    ];
    if (prepared.duplicates > 0) lines.push(`  ${prepared.duplicates} duplicate object(s) would be sent once`);
    if (prepared.rejected.length > 0) lines.push(`  ${prepared.rejected.length} object(s) rejected (listed on stderr)`);
    io.stdout(`${lines.join("\n")}\n`);
  }
  return prepared.rejected.length > 0 ? 1 : 0;
}

/**
 * Hosts a direct URL purge may touch: --allow-host, else EDGEPLANE_ALLOW_HOSTS, else any http(s) host
 * (Akamai already limits what a credential may purge; the summary lists the hosts purged).
 */
function directAllowedHosts(args: PurgeArgs, io: CommandIo): readonly string[] | "any" {
  if (args.allowHosts.length > 0) return args.allowHosts;
  const fromEnv = io.env[ALLOW_HOSTS_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const hosts = parseAllowHostList(fromEnv, ALLOW_HOSTS_ENV);
    if (hosts.length > 0) return hosts;
  }
  return "any";
}

/** --allow-host, else EDGEPLANE_ALLOW_HOSTS, else any host (for --cdn fastly, cloudflare, cloudfront). */
function cdnHostPolicy(args: PurgeArgs, io: CommandIo): HostPolicy {
  if (args.allowHosts.length > 0) return { kind: "list", hosts: args.allowHosts, source: "--allow-host" };
  const hosts = directAllowedHosts(args, io);
  return hosts === "any" ? { kind: "any" } : { kind: "list", hosts, source: ALLOW_HOSTS_ENV };
}

async function runDirect(args: PurgeArgs, io: CommandIo): Promise<number> {
  const action = defaultAction(args, undefined);
  // Where the credential comes from is settled first (a dry run names it); an .edgerc is read only to send.
  const fromEnv = args.edgerc === undefined ? readEnvCredentials(io.env, args.section) : undefined;
  if (args.edgerc === undefined && fromEnv === undefined) {
    throw new UsageError(
      `say where to purge: --env E (the environment's purge API), or directly with ${edgeGridEnvNames(args.section).join(", ")} ` +
        `or --edgerc PATH [--section S]`,
    );
  }
  const source =
    args.edgerc !== undefined ? `--edgerc ${args.edgerc} [${args.section}]` : `environment ${edgeGridEnvPrefix(args.section)}*`;
  const { prepared } = await prepare(args, io, action, args.type === "url" ? directAllowedHosts(args, io) : undefined);
  if (args.dryRun) return printDryRun(args, io, prepared, source);

  const context: ReportContext = {
    type: args.type,
    action,
    network: args.network,
    duplicates: prepared.duplicates,
    heldBack: prepared.rejected.length > 0 && !args.skipInvalid,
  };
  if (context.heldBack || prepared.plan.batches.length === 0) return finish(args, io, directReport(prepared, undefined), context);

  const credentials = fromEnv ?? readEdgerc(args.edgerc as string, args.section);
  const progress = new ProgressPrinter(io, args.quiet);
  const result = await sendPlanned(prepared, {
    credentials,
    env: io.env,
    onProgress: (p: SendProgress) =>
      progress.update(
        `${p.batchesDone}/${p.batchesTotal} requests settled, ${p.objectsSucceeded.toLocaleString("en-US")} object(s) accepted, ` +
          `${p.objectsFailed.toLocaleString("en-US")} failed, ${p.throttled429} throttled (429)`,
      ),
  });
  progress.done();
  context.requests = result.requests;
  context.throttled429 = result.throttled429;
  if (args.type === "url") context.hosts = hostsOf(result.succeeded.flatMap((s) => s.objects));
  return finish(args, io, directReport(prepared, result), context);
}

/** The environment's CDN targets (config `cdns`; absent: Akamai alone). */
function environmentTargets(env: EnvironmentConfig): readonly CdnTargetConfig[] {
  return env.cdns ?? [{ cdn: "akamai", hostnames: env.purgePolicy.allowedHostnames }];
}

/**
 * The request's `cdns` from --target and --cdn, each checked against the environment's targets; undefined when
 * neither was given (the API then sends to every target serving the objects).
 */
export function chosenTargets(args: Pick<PurgeArgs, "targets" | "envCdns">, env: EnvironmentConfig): string[] | undefined {
  if (args.targets.length === 0 && args.envCdns.length === 0) return undefined;
  const targets = environmentTargets(env);
  const keys = targets.map(targetKey);
  const chosen = new Set<string>();
  for (const key of args.targets) {
    if (!keys.includes(key)) {
      throw new UsageError(`--target "${key}" is not a CDN target of environment "${env.name}"; allowed: ${keys.join(", ")}`);
    }
    chosen.add(key);
  }
  for (const cdn of args.envCdns) {
    const ofCdn = targets.filter((t) => t.cdn === cdn).map(targetKey);
    if (ofCdn.length === 0) {
      const cdns = [...new Set(targets.map((t) => t.cdn))];
      throw new UsageError(`--cdn ${cdn}: environment "${env.name}" has no ${cdn} target; allowed: ${cdns.join(", ")}`);
    }
    for (const key of ofCdn) chosen.add(key);
  }
  return [...chosen];
}

/**
 * Whether objects are validated here the Akamai way before sending: URLs always (the environment's allowed
 * hostnames), CP codes (Akamai's only), tags when only Akamai targets get them. Anything else (tags for Fastly,
 * Cloudflare or CloudFront, host, prefix, path) is left to the purge API, which knows each target's rules.
 */
function validatesLocally(type: PurgeApiType, env: EnvironmentConfig, cdns: readonly string[] | undefined): boolean {
  if (type === "url" || type === "cpcode") return true;
  if (type !== "tag") return false;
  const targets = environmentTargets(env).filter((t) => cdns === undefined || cdns.includes(targetKey(t)));
  return targets.every((t) => t.cdn === "akamai");
}

async function runViaApi(args: PurgeArgs, env: EnvironmentConfig, io: CommandIo): Promise<number> {
  const action = defaultAction(args, env);
  const policy = env.purgePolicy;
  const cdns = chosenTargets(args, env);
  let prepared: PreparedPurge | undefined;
  /** Objects sent as read, for the purge API to validate (see validatesLocally). */
  let unchecked: string[] | undefined;
  if (args.jobs.length === 0) {
    if (!policy.allowedNetworks.includes(args.network)) {
      throw new CommandError(
        `environment "${env.name}" does not allow purges on ${args.network}; its purgePolicy.allowedNetworks: ${policy.allowedNetworks.join(", ")}` +
          (args.network === "staging" ? "" : " (the default --network is staging)"),
      );
    }
    if (validatesLocally(args.apiType, env, cdns)) {
      ({ prepared } = await prepare(args, io, action, args.type === "url" ? policy.allowedHostnames : undefined));
      if (args.dryRun) return printDryRun(args, io, prepared, `environment ${env.name}`);
    } else {
      unchecked = (await readObjects(args, io.stdin, io.stdinIsTty)).objects;
      if (args.dryRun) return printUncheckedDryRun(args, io, env, action, unchecked, cdns);
    }
  }
  const context: ReportContext = {
    type: args.apiType,
    action,
    network: args.network,
    duplicates: prepared?.duplicates ?? 0,
    heldBack: prepared !== undefined && prepared.rejected.length > 0 && !args.skipInvalid,
  };
  if (prepared !== undefined && (context.heldBack || prepared.plan.batches.length === 0)) {
    return finish(args, io, directReport(prepared, undefined), context);
  }
  if (unchecked !== undefined && unchecked.length === 0)
    return finish(args, io, { batches: [], rejected: [], failed: [] }, context);

  const urlText = args.apiUrl ?? io.env[PURGE_API_URL_ENV];
  if (urlText === undefined || urlText.trim() === "") {
    throw new CommandError(
      `no purge API URL for environment "${env.name}": pass --api-url URL or set ${PURGE_API_URL_ENV}. ` +
        `It is the stack output purge_api_url of edgeplane-${env.name} ` +
        `(e.g. terraform -chdir=cdktf.out/stacks/edgeplane-${env.name} output -raw purge_api_url).`,
    );
  }
  const baseUrl = resolvePurgeApiUrl(urlText, io.env, args.apiUrl !== undefined ? "--api-url" : PURGE_API_URL_ENV);
  const region = env.aws.region;
  // Loaded here so that other commands (and direct purges) do not pay for the AWS SDK at start-up.
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  const client = new PurgeApiClient({
    baseUrl,
    region,
    // The SDK chain; its STS call for web identity (GitHub OIDC) uses the environment's region unless AWS_REGION says otherwise.
    credentials: defaultProvider({ clientConfig: { region: io.env.AWS_REGION ?? region } }),
  });
  const progress = new ProgressPrinter(io, args.quiet);
  const options = {
    client,
    envName: env.name,
    policy,
    timeoutMs: args.timeoutSeconds * 1000,
    pollIntervalMs: args.pollIntervalSeconds * 1000,
    sleep: io.sleep,
    now: io.now,
    onProgress: (p: {
      jobs: number;
      batchesTotal: number;
      batchesDone: number;
      batchesFailed: number;
      objectsDone: number;
      elapsedMs: number;
    }) =>
      progress.update(
        `${p.jobs} job(s): ${p.batchesDone}/${p.batchesTotal} requests done, ${p.batchesFailed} failed, ` +
          `${p.objectsDone.toLocaleString("en-US")} object(s) purged (${Math.round(p.elapsedMs / 1000)}s)`,
      ),
  };
  try {
    const objects = prepared?.accepted ?? unchecked;
    const outcome =
      objects === undefined
        ? await followJobs(args.jobs, options)
        : await purgeViaApi(
            { type: args.apiType, action, network: args.network, objects, ...(cdns !== undefined ? { cdns } : {}) },
            options,
          );
    progress.done();
    // Objects refused locally (sent anyway with --skip-invalid) are reported with the API's refusals.
    const report = outcome.report;
    if (objects !== undefined) {
      const localRejected = prepared?.rejected ?? [];
      report.rejected.unshift(...localRejected.map((r) => ({ object: r.object, reason: r.reason })));
      const serverRejected = report.rejected.slice(localRejected.length);
      if (serverRejected.length > 0) {
        io.stderr(
          `edgeplane purge: the purge API rejected ${serverRejected.length} object(s):\n${rejectedLines(serverRejected)}`,
        );
      }
    }
    context.jobIds = outcome.jobIds;
    return finish(args, io, report, context);
  } finally {
    client.close();
  }
}

/** A dry run of objects the purge API validates: what would be sent, and to which targets. */
function printUncheckedDryRun(
  args: PurgeArgs,
  io: CommandIo,
  env: EnvironmentConfig,
  action: PurgeAction,
  objects: readonly string[],
  cdns: readonly string[] | undefined,
): number {
  const targets = cdns ?? environmentTargets(env).map(targetKey);
  if (args.json) {
    io.stdout(
      `${JSON.stringify({ dryRun: true, type: args.apiType, objects: objects.length, cdns: targets, rejected: [], failed: [] }, null, 2)}\n`,
    );
  } else {
    io.stdout(
      `dry run (environment ${env.name}): nothing was sent\n` +
        `${action} ${args.apiType} on ${args.network}: ${objects.length.toLocaleString("en-US")} object(s) for the purge API to ` +
        `validate and send to the targets that take them among ${targets.join(", ")}\n`,
    );
  }
  return 0;
}

function finish(args: PurgeArgs, io: CommandIo, report: ReturnType<typeof directReport>, context: ReportContext): number {
  io.stdout(args.json ? reportJson(report) : summaryText(report, context));
  return exitCodeOf(report);
}
