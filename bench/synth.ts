/**
 * `npm run bench`: median wall time to synthesize every example stack with `npm run synth` (the app run
 * directly, cli/synth.ts) beside `cdktf synth`, which writes the same bytes (__tests__/synth/synth-output.test.ts).
 * Figures only; no assertions. Target (issue 8): `npm run synth` median ≤ 2.5 s warm.
 * "warm" reuses the Lambda bundle cache (node_modules/.cache/edgeplane-bundles; what a developer's repeated
 * synth sees), "cold" bundles every function afresh (EDGEPLANE_BUNDLE_CACHE=off; a clean CI checkout).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { terraformEnv } from "../cli/lib/terraform-cli-config";

const root = join(__dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const env = { ...terraformEnv(join(root, "node_modules/.cache/edgeplane-terraform")), CHECKPOINT_DISABLE: "1", CI: "true" };

/**
 * CPU seconds (user + system) of every finished child process so far, from /proc (Linux): a figure that a
 * busy machine inflates far less than wall time, since 2 cores are shared with other work here.
 */
function childrenCpuMs(): number | undefined {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    // After ") ": state is field 3, so cutime (16) and cstime (17) sit at indexes 13 and 14; ticks of 10 ms.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

const cpuSamples = new Map<string, number[]>();

function time(label: string, command: string, args: string[], extraEnv: Record<string, string> = {}): number[] {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuBefore = childrenCpuMs();
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${label} failed:\n${result.stderr}\n${result.stdout}`);
    samples.push(ms);
    const cpuAfter = childrenCpuMs();
    if (cpuBefore !== undefined && cpuAfter !== undefined) cpu.push(cpuAfter - cpuBefore);
  }
  cpuSamples.set(label, cpu);
  return samples;
}

function report(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const median =
    sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const cpu = [...(cpuSamples.get(label) ?? [])].sort((a, b) => a - b);
  const cpuText = cpu.length > 0 ? `  cpu median ${s(cpu[Math.floor(cpu.length / 2)]!)}` : "";
  console.log(
    `${label.padEnd(30)} median ${s(median)}  min ${s(sorted[0]!)}  max ${s(sorted.at(-1)!)}${cpuText}  (${runs} runs)`,
  );
}

console.log(
  `synth of all example stacks (dev, staging, prod), ${runs} runs each; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const npm = "npm";
spawnSync(npm, ["run", "--silent", "synth"], { cwd: root, env }); // fills the bundle cache
report("npm run synth, warm", time("npm run synth, warm", npm, ["run", "--silent", "synth"]));
report(
  "npm run synth, cold bundles",
  time("npm run synth, cold bundles", npm, ["run", "--silent", "synth"], { EDGEPLANE_BUNDLE_CACHE: "off" }),
);
report("cdktf synth, warm", time("cdktf synth, warm", join(root, "node_modules/.bin/cdktf"), ["synth"]));
console.log("target: npm run synth, warm, median ≤ 2.50 s");
