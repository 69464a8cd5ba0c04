/** An .edgerc for CLI tests against a sandbox: section "s" works, section "wrong" has a bad (fake) secret. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgercSection } from "../../sandbox/main";
import type { Sandbox } from "../../sandbox/server";
import { TEST_CLIENT } from "../helpers/sandbox-harness";

/** Writes the file (mode 0600) into a new temporary folder; returns both. The secrets are test values. */
export function writeSandboxEdgerc(sandbox: Pick<Sandbox, "url">, prefix: string): { dir: string; edgerc: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const edgerc = join(dir, "edgerc");
  const wrong = { ...TEST_CLIENT, clientSecret: Buffer.from("wrong-but-well-formed").toString("base64") };
  writeFileSync(edgerc, edgercSection(sandbox, TEST_CLIENT, "s") + edgercSection(sandbox, wrong, "wrong"), { mode: 0o600 });
  return { dir, edgerc };
}
