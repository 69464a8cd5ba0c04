/**
 * `npm run sandbox`: starts the local Akamai API emulator and prints an `.edgerc` section for a
 * throwaway client created at start.
 *
 *   --port N          (or env EDGEPLANE_SANDBOX_PORT; default: any free port)
 *   --time-scale X    (or env EDGEPLANE_SANDBOX_TIME_SCALE; default 1)
 */
import { randomBytes } from "node:crypto";
import { INSECURE_LOOPBACK_ENV } from "../functions/lib/edgegrid/host-safety";
import { startSandbox, type Sandbox } from "./server";
import type { SandboxClient } from "./state";

export interface MainOptions {
  port: number;
  timeScale: number;
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

/** Reads --port / --time-scale, then the environment; throws on values that are not numbers in range. */
export function parseMainOptions(argv: readonly string[], env: Record<string, string | undefined>): MainOptions {
  const portText = flagValue(argv, "--port") ?? env.EDGEPLANE_SANDBOX_PORT ?? "0";
  const scaleText = flagValue(argv, "--time-scale") ?? env.EDGEPLANE_SANDBOX_TIME_SCALE ?? "1";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new RangeError(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0) throw new RangeError(`--time-scale must be a positive number, got "${scaleText}"`);
  return { port, timeScale };
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
  const sandbox = await startSandbox({ port: options.port, clients: [client], timeScale: options.timeScale });
  write(
    [
      `edgeplane sandbox listening on ${sandbox.url} (time scale ${options.timeScale})`,
      "",
      "# .edgerc section for a throwaway client created when this sandbox started.",
      "# Its secret is printed only because it is not a real credential: it works",
      "# against this sandbox process and nowhere else, and dies with it.",
      edgercSection(sandbox, client),
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
