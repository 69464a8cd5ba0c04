/**
 * `npm run demo`: starts the Akamai sandbox in this process, purges a sample set (300 URLs, 25 cache tags,
 * a CP code) through the same code `edgeplane purge --edgerc` runs — validate, plan, send with EdgeGrid
 * signatures over real HTTP to loopback — prints the purge IDs, checks the sandbox got every object
 * exactly once, and stops. Exit 0 when all of that held.
 */
import { INSECURE_LOOPBACK_ENV } from "../core/edgegrid/host-safety";
import type { PurgeType } from "../core/purge/objects";
import { preparePurge, sendPlanned } from "../cli/purge/direct";
import { randomSandboxClient } from "./main";
import { startSandbox } from "./server";
import { purgedObjects } from "./state";

const HOST = "www.example.com";

export const SAMPLE: ReadonlyArray<{ type: PurgeType; objects: readonly string[] }> = [
  {
    type: "url",
    objects: Array.from({ length: 300 }, (_, i) => `https://${HOST}/products/item-${String(i + 1).padStart(4, "0")}.html`),
  },
  { type: "tag", objects: Array.from({ length: 25 }, (_, i) => `catalog-${i + 1}`) },
  { type: "cpcode", objects: ["123456"] },
];

export async function runDemo(write: (text: string) => void): Promise<boolean> {
  const client = randomSandboxClient();
  const sandbox = await startSandbox({ clients: [client] });
  let ok = true;
  try {
    write(`sandbox listening on ${sandbox.url}\n`);
    const credentials = { host: sandbox.url, ...client };
    for (const { type, objects } of SAMPLE) {
      const prepared = preparePurge({ type, action: "invalidate", network: "staging", objects, allowedHostnames: [HOST] });
      const result = await sendPlanned(prepared, { credentials, env: { [INSECURE_LOOPBACK_ENV]: "1" } });
      write(`${type}: ${objects.length} object(s), ${prepared.plan.batches.length} request(s)\n`);
      for (const purge of result.succeeded) {
        write(
          `  purgeId ${purge.purgeId} (${purge.objects.length} object(s), estimatedSeconds ${purge.estimatedSeconds ?? "?"})\n`,
        );
      }
      for (const failure of result.failed) {
        ok = false;
        write(`  FAILED ${failure.batch.objects.length} object(s): ${failure.reason}: ${failure.detail}\n`);
      }
      const arrived = purgedObjects(sandbox.state, { type, network: "staging", action: "invalidate" }).map(String);
      const once =
        arrived.length === objects.length &&
        new Set(arrived).size === arrived.length &&
        objects.every((o) => arrived.includes(o));
      if (!once) ok = false;
      write(`  sandbox: ${arrived.length} object(s) arrived${once ? ", each exactly once" : " — NOT each exactly once"}\n`);
    }
  } finally {
    await sandbox.close();
  }
  write(ok ? "demo ok: sandbox stopped\n" : "demo FAILED: sandbox stopped\n");
  return ok;
}

if (require.main === module) {
  runDemo((text) => process.stdout.write(text)).then(
    (ok) => {
      process.exitCode = ok ? 0 : 1;
    },
    (error: unknown) => {
      process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
