/**
 * `npm run sandbox`: starts the local Akamai API emulator and the Fastly, Cloudflare and CloudFront/STS
 * emulators (cdn-sandbox.ts), and prints an `.edgerc` section for a throwaway client created at start plus
 * each CDN's throwaway credential and the environment lines that point clients at it.
 *
 *   --only LIST         which to start: akamai, fastly, cloudflare, cloudfront (repeatable or comma-separated;
 *                       default all four), e.g. `--only cloudfront` runs that emulator alone
 *   --cloudflare-plan P the Cloudflare zone's plan: free, pro (default), business or enterprise
 *   --port N            the Akamai sandbox's port (or env EDGEPLANE_SANDBOX_PORT; default: any free port;
 *                       the CDN emulators always take free ports)
 *   --time-scale X      (or env EDGEPLANE_SANDBOX_TIME_SCALE; default 1)
 *   --edgeworker-id N   an EdgeWorker id that exists (repeatable, or comma-separated; default none)
 *   --token-kind K      what EdgeKV token create makes: enhanced (default) or legacy (JWT value, expiry)
 *   --edgerc-out FILE   also write the .edgerc section to FILE (mode 0600), for `edgeplane ... --edgerc FILE
 *                       --section sandbox`; a FILE holding any other section is refused, never overwritten
 *   --no-seed-tokens    start with no EdgeKV tokens (default: seed-tokens.ts's legacy tokens near expiry and an
 *                       enhanced token with null refresh dates, as real accounts hold)
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEdgercSections } from "../core/edgegrid/credentials";
import { INSECURE_LOOPBACK_ENV } from "../core/edgegrid/host-safety";
import { CDN_EMULATORS, cdnPrintout, startCdnSandboxes, type CdnEmulatorName, type CdnSandboxes } from "./cdn-sandbox";
import type { CloudflarePlan } from "./cloudflare";
import { defaultSeedTokens } from "./seed-tokens";
import { startSandbox, type Sandbox } from "./server";
import type { EdgeKvTokenKind, SandboxClient } from "./state";

export const EDGERC_SECTION = "sandbox";

export interface MainOptions {
  port: number;
  timeScale: number;
  /** EdgeWorker ids that exist in the sandbox (present only when given). */
  edgeWorkerIds?: number[];
  /** What EdgeKV token create makes (present only when given). */
  tokenKind?: EdgeKvTokenKind;
  /** Where to write the throwaway .edgerc section (present only when given). */
  edgercOut?: string;
  /** Which sandboxes to start (present only when given; default all). */
  only?: SandboxName[];
  /** The Cloudflare emulator's zone plan (present only when given). */
  cloudflarePlan?: CloudflarePlan;
  /** --no-seed-tokens: start with no EdgeKV tokens (present only when given). */
  noSeedTokens?: true;
}

export const SANDBOX_NAMES = ["akamai", ...CDN_EMULATORS] as const;
export type SandboxName = (typeof SANDBOX_NAMES)[number];
const CLOUDFLARE_PLANS: readonly CloudflarePlan[] = ["free", "pro", "business", "enterprise"];

function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === name) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new RangeError(`${name} needs a value`);
      return value;
    }
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/** Every value of a repeatable flag, in order. */
function flagValues(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === name) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new RangeError(`${name} needs a value`);
      values.push(value);
      i++;
    } else if (arg.startsWith(`${name}=`)) {
      values.push(arg.slice(name.length + 1));
    }
  }
  return values;
}

/**
 * Reads --port / --time-scale (then the environment), --edgeworker-id, --token-kind and --edgerc-out;
 * throws RangeError naming the flag and what it takes.
 */
export function parseMainOptions(argv: readonly string[], env: Record<string, string | undefined>): MainOptions {
  const portText = flagValue(argv, "--port") ?? env.EDGEPLANE_SANDBOX_PORT ?? "0";
  const scaleText = flagValue(argv, "--time-scale") ?? env.EDGEPLANE_SANDBOX_TIME_SCALE ?? "1";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new RangeError(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new RangeError(`--time-scale must be a positive number, got "${scaleText}"`);
  const options: MainOptions = { port, timeScale };

  const ids = flagValues(argv, "--edgeworker-id")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim());
  for (const id of ids) {
    if (!/^[1-9]\d{0,11}$/.test(id))
      throw new RangeError(`--edgeworker-id must be a positive integer (repeatable, or comma-separated), got "${id}"`);
  }
  if (ids.length > 0) options.edgeWorkerIds = [...new Set(ids.map(Number))];

  const kinds = flagValues(argv, "--token-kind");
  if (kinds.length > 1) throw new RangeError("--token-kind was given more than once");
  if (kinds.length === 1) {
    if (kinds[0] !== "enhanced" && kinds[0] !== "legacy")
      throw new RangeError(`--token-kind must be enhanced or legacy, got "${kinds[0]}"`);
    options.tokenKind = kinds[0];
  }

  const out = flagValues(argv, "--edgerc-out");
  if (out.length > 1) throw new RangeError("--edgerc-out was given more than once");
  if (out.length === 1) {
    if (out[0] === "") throw new RangeError("--edgerc-out needs a file path");
    options.edgercOut = out[0] as string;
  }

  const only = flagValues(argv, "--only")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim());
  for (const name of only) {
    if (!(SANDBOX_NAMES as readonly string[]).includes(name))
      throw new RangeError(`--only takes ${SANDBOX_NAMES.join(", ")} (repeatable, or comma-separated), got "${name}"`);
  }
  if (only.length > 0) options.only = [...new Set(only as SandboxName[])];
  if (options.edgercOut !== undefined && options.only !== undefined && !options.only.includes("akamai")) {
    throw new RangeError("--edgerc-out needs the Akamai sandbox; add akamai to --only");
  }

  const plans = flagValues(argv, "--cloudflare-plan");
  if (plans.length > 1) throw new RangeError("--cloudflare-plan was given more than once");
  if (plans.length === 1) {
    if (!CLOUDFLARE_PLANS.includes(plans[0] as CloudflarePlan))
      throw new RangeError(`--cloudflare-plan must be free, pro, business or enterprise, got "${plans[0]}"`);
    options.cloudflarePlan = plans[0] as CloudflarePlan;
  }
  if (argv.includes("--no-seed-tokens")) options.noSeedTokens = true;
  return options;
}

/**
 * Writes the section to `path` with mode 0600. An existing file is replaced only if it holds nothing but a
 * [sandbox] section (an earlier sandbox's): a real .edgerc passed by mistake is never overwritten.
 */
export function writeEdgercOut(path: string, section: string): void {
  if (existsSync(path)) {
    let others: string[];
    try {
      others = [...parseEdgercSections(readFileSync(path, "utf8"), path).keys()].filter((name) => name !== EDGERC_SECTION);
    } catch {
      others = ["(unreadable)"];
    }
    if (others.length > 0) {
      throw new RangeError(
        `--edgerc-out ${path} already holds other sections (${others.map((s) => `[${s}]`).join(", ")}); give a new file, it is never overwritten`,
      );
    }
  }
  writeFileSync(path, section, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function randomSandboxClient(): SandboxClient {
  const token = (): string => `akab-sandbox-${randomBytes(8).toString("hex")}`;
  return { clientToken: token(), accessToken: token(), clientSecret: randomBytes(32).toString("base64") };
}

export function edgercSection(sandbox: Pick<Sandbox, "url">, client: SandboxClient, section = "sandbox"): string {
  return [
    `[${section}]`,
    `host = ${sandbox.url}`,
    `client_token = ${client.clientToken}`,
    `client_secret = ${client.clientSecret}`,
    `access_token = ${client.accessToken}`,
    "",
  ].join("\n");
}

/** What main started. */
export interface RunningSandboxes {
  /** The Akamai sandbox's URL when it runs (as before the other CDNs' emulators existed). */
  url: string | undefined;
  akamai?: Sandbox;
  cdns: CdnSandboxes;
  /** Stops every emulator main started. */
  close(): Promise<void>;
}

export async function main(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  write: (text: string) => void,
): Promise<RunningSandboxes> {
  const options = parseMainOptions(argv, env);
  const only = new Set<SandboxName>(options.only ?? SANDBOX_NAMES);
  const client = randomSandboxClient();
  const sandbox = only.has("akamai")
    ? await startSandbox({
        port: options.port,
        clients: [client],
        timeScale: options.timeScale,
        edgeKv: {
          ...(options.tokenKind ? { tokenKind: options.tokenKind } : {}),
          tokens: options.noSeedTokens ? [] : defaultSeedTokens(Date.now()),
        },
        ...(options.edgeWorkerIds ? { edgeWorkers: { ids: options.edgeWorkerIds } } : {}),
      })
    : undefined;
  let cdns: CdnSandboxes;
  try {
    cdns = await startCdnSandboxes({
      only: CDN_EMULATORS.filter((name: CdnEmulatorName) => only.has(name)),
      timeScale: options.timeScale,
      ...(options.cloudflarePlan ? { cloudflarePlan: options.cloudflarePlan } : {}),
    });
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
  const running: RunningSandboxes = {
    url: sandbox?.url,
    ...(sandbox ? { akamai: sandbox } : {}),
    cdns,
    close: async () => {
      await Promise.all([sandbox?.close(), cdns.close()]);
    },
  };
  const section = sandbox ? edgercSection(sandbox, client, EDGERC_SECTION) : "";
  if (options.edgercOut !== undefined) {
    try {
      writeEdgercOut(options.edgercOut, section);
    } catch (error) {
      await running.close();
      throw error;
    }
  }
  const cdnText = cdnPrintout(cdns);
  write(
    [
      sandbox
        ? `edgeplane sandbox listening on ${sandbox.url} (time scale ${options.timeScale})`
        : `edgeplane sandbox: ${[...only].join(", ")} emulator(s) only (time scale ${options.timeScale})`,
      ...(options.edgeWorkerIds ? [`EdgeWorker ids: ${options.edgeWorkerIds.join(", ")}`] : []),
      ...(options.tokenKind ? [`EdgeKV token create makes ${options.tokenKind} tokens`] : []),
      ...(sandbox
        ? [
            sandbox.state.edgeKv.tokens.length === 0
              ? "EdgeKV tokens: none"
              : `EdgeKV tokens: ${sandbox.state.edgeKv.tokens.map((t) => `${t.name} (${t.kind}, expiry ${t.expiry})`).join(", ")}`,
          ]
        : []),
      "",
      ...(cdnText !== ""
        ? [
            "# Throwaway CDN credentials created when these emulators started. They are printed only because",
            "# they are not real credentials: they work against these emulator processes only, and die with them.",
            cdnText,
          ]
        : []),
      // Before the .edgerc section, so the section can be cut from "[sandbox]" to the end.
      "# Clients must allow plain http to loopback:",
      `export ${INSECURE_LOOPBACK_ENV}=1`,
      "",
      ...(sandbox
        ? [
            "# .edgerc section for a throwaway client created when this sandbox started.",
            "# Its secret is printed only because it is not a real credential: it works",
            "# against this sandbox process and nowhere else, and dies with it.",
            section,
          ]
        : []),
      ...(options.edgercOut !== undefined
        ? [`# Written to ${options.edgercOut} (mode 0600): use --edgerc ${options.edgercOut} --section ${EDGERC_SECTION}`]
        : []),
    ].join("\n"),
  );
  return running;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then(
    (running) => {
      const stop = (): void => {
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (error: unknown) => {
      process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
