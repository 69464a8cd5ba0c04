/**
 * `npm run bench`: median wall time to synthesize every example stack, directly (`tsx main.ts`) and through
 * `cdktf synth`. Figures only; no assertions. Target (issue #2): direct median under 3 s.
 * "warm" reuses the Lambda bundle cache (node_modules/.cache/edgeplane-bundles; what a developer's repeated
 * synth sees), "cold" bundles every function afresh (EDGEPLANE_BUNDLE_CACHE=off; a clean CI checkout).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { terraformEnv } from "../cli/lib/terraform-cli-config";

const root = join(__dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const env = { ...terraformEnv(join(root, "node_modules/.cache/edgeplane-terraform")), CHECKPOINT_DISABLE: "1", CI: "true" };

function time(label: string, command: string, args: string[], extraEnv: Record<string, string> = {}): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${label} failed:\n${result.stderr}\n${result.stdout}`);
    samples.push(ms);
  }
  return samples;
}

function report(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${label.padEnd(30)} median ${s(median)}  min ${s(sorted[0]!)}  max ${s(sorted.at(-1)!)}  (${runs} runs)`);
}

console.log(`synth of all example stacks (dev, staging, prod), ${runs} runs each`);
const tsx = join(root, "node_modules/.bin/tsx");
report("direct, cold: tsx main.ts", time("tsx main.ts", tsx, ["main.ts"], { EDGEPLANE_BUNDLE_CACHE: "off" }));
spawnSync(tsx, ["main.ts"], { cwd: root, env }); // fills the bundle cache
report("direct, warm: tsx main.ts", time("tsx main.ts", tsx, ["main.ts"]));
report("through cdktf synth, warm", time("cdktf synth", join(root, "node_modules/.bin/cdktf"), ["synth"]));
