/**
 * `npx tsx bench/bundles.ts [--runs N]`: each Lambda bundle as synth builds it (constructs/aws/lambda-bundle.ts):
 * its minified size against its budget (__tests__/constructs/lambda-budget.test.ts enforces them), its ten
 * largest packages from esbuild's metafile, and its cold load: a fresh `node` that requires the bundle,
 * wall time of the whole process beside a bare `node -e 0`, and the require alone timed inside the process.
 * Figures only; medians of N runs (default 7). The machine may be busy: compare figures of one run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lambdaEntries, measureBundles } from "../constructs/aws/lambda-bundle";
import { coldLoadMs, median } from "./purge/lambda-load";

const runsFlag = process.argv.indexOf("--runs");
const runs = runsFlag === -1 ? 7 : Number(process.argv[runsFlag + 1]);
if (!(runs >= 1)) throw new RangeError("--runs must be a positive number");

/** Same environment for every process: a Lambda-like one with no credentials. */
const LAMBDA_ENV = { PATH: process.env.PATH ?? "", AWS_REGION: "eu-west-1", AWS_LAMBDA_FUNCTION_NAME: "bench" };

/** Wall time of whole `node` processes running `args`, in ms. */
function processMs(args: string[]): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { env: LAMBDA_ENV, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${(result.stderr || "").trim().split("\n")[0]}`);
    samples.push(ms);
  }
  return samples;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

const bare = median(processMs(["-e", "0"]));
console.log(`Lambda bundles (esbuild, minified, as synth zips them); medians of ${runs} fresh node processes`);
console.log(`bare node start (node -e 0): ${ms(bare)}\n`);
for (const bundle of measureBundles(lambdaEntries())) {
  const name = bundle.entry.split("/")[1]!;
  const dir = join(tmpdir(), "edgeplane-bench-bundles", name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.js");
  writeFileSync(file, bundle.code);
  const whole = median(processMs(["-e", `require(${JSON.stringify(file)})`]));
  const requireOnly = median(coldLoadMs(file, runs, LAMBDA_ENV));
  console.log(
    `${name.padEnd(20)} ${kib(bundle.codeBytes).padStart(10)}   node + require ${ms(whole)} (bare node ${ms(bare)}, +${ms(whole - bare)}); ` +
      `require alone ${ms(requireOnly)}`,
  );
  console.log(
    `  largest: ${bundle.packages
      .slice(0, 10)
      .map((p) => `${p.name} ${kib(p.bytes)}`)
      .join(", ")}`,
  );
}
