/**
 * `npm run sandbox`: starts the local Akamai API emulator and prints an `.edgerc` section for a
 * throwaway client created at start.
 *
 *   --port N            (or env EDGEPLANE_SANDBOX_PORT; default: any free port)
 *   --time-scale X      (or env EDGEPLANE_SANDBOX_TIME_SCALE; default 1)
 *   --edgeworker-id N   an EdgeWorker id that exists (repeatable, or comma-separated; default none)
 *   --token-kind K      what EdgeKV token create makes: enhanced (default) or legacy (JWT value, expiry)
 *   --edgerc-out FILE   also write the .edgerc section to FILE (mode 0600), for `edgeplane ... --edgerc FILE
 *                       --section sandbox`; a FILE holding any other section is refused, never overwritten
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEdgercSections } from "../core/edgegrid/credentials";
import { INSECURE_LOOPBACK_ENV } from "../core/edgegrid/host-safety";
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
}

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
  if (!/^\d+$/.test(portText) || port > 65535) throw new RangeError(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0) throw new RangeError(`--time-scale must be a positive number, got "${scaleText}"`);
  const options: MainOptions = { port, timeScale };

  const ids = flagValues(argv, "--edgeworker-id").flatMap((v) => v.split(",")).map((v) => v.trim());
  for (const id of ids) {
    if (!/^[1-9]\d{0,11}$/.test(id)) throw new RangeError(`--edgeworker-id must be a positive integer (repeatable, or comma-separated), got "${id}"`);
  }
  if (ids.length > 0) options.edgeWorkerIds = [...new Set(ids.map(Number))];

  const kinds = flagValues(argv, "--token-kind");
  if (kinds.length > 1) throw new RangeError("--token-kind was given more than once");
  if (kinds.length === 1) {
    if (kinds[0] !== "enhanced" && kinds[0] !== "legacy") throw new RangeError(`--token-kind must be enhanced or legacy, got "${kinds[0]}"`);
    options.tokenKind = kinds[0];
  }

  const out = flagValues(argv, "--edgerc-out");
  if (out.length > 1) throw new RangeError("--edgerc-out was given more than once");
  if (out.length === 1) {
    if (out[0] === "") throw new RangeError("--edgerc-out needs a file path");
    options.edgercOut = out[0] as string;
  }
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
      throw new RangeError(`--edgerc-out ${path} already holds other sections (${others.map((s) => `[${s}]`).join(", ")}); give a new file, it is never overwritten`);
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

export async function main(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  write: (text: string) => void,
): Promise<Sandbox> {
  const options = parseMainOptions(argv, env);
  const client = randomSandboxClient();
  const sandbox = await startSandbox({
    port: options.port,
    clients: [client],
    timeScale: options.timeScale,
    ...(options.tokenKind ? { edgeKv: { tokenKind: options.tokenKind } } : {}),
    ...(options.edgeWorkerIds ? { edgeWorkers: { ids: options.edgeWorkerIds } } : {}),
  });
  const section = edgercSection(sandbox, client, EDGERC_SECTION);
  if (options.edgercOut !== undefined) {
    try {
      writeEdgercOut(options.edgercOut, section);
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }
  write(
    [
      `edgeplane sandbox listening on ${sandbox.url} (time scale ${options.timeScale})`,
      ...(options.edgeWorkerIds ? [`EdgeWorker ids: ${options.edgeWorkerIds.join(", ")}`] : []),
      ...(options.tokenKind ? [`EdgeKV token create makes ${options.tokenKind} tokens`] : []),
      "",
      "# .edgerc section for a throwaway client created when this sandbox started.",
      "# Its secret is printed only because it is not a real credential: it works",
      "# against this sandbox process and nowhere else, and dies with it.",
      section,
      ...(options.edgercOut !== undefined
        ? [`# Written to ${options.edgercOut} (mode 0600): use --edgerc ${options.edgercOut} --section ${EDGERC_SECTION}`]
        : []),
      `# Clients must allow plain http to loopback: export ${INSECURE_LOOPBACK_ENV}=1`,
      "",
    ].join("\n"),
  );
  return sandbox;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then(
    (sandbox) => {
      const stop = (): void => {
        sandbox.close().then(
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
