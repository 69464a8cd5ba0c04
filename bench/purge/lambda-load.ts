/**
 * Each Lambda function's bundle (the same esbuild bundle synth zips, constructs/aws/lambda-bundle.ts) and
 * its cold module-load time: `require` of the bundled index.js in a fresh node process, timed inside that
 * process (node's own start-up is not counted), median of several processes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { unzipSync } from "fflate";
import { PROJECT_ROOT, bundleLambda } from "../../constructs/aws/lambda-bundle";

export interface LambdaLoadFigures {
  name: string;
  entry: string;
  codeBytes?: number;
  zipBytes?: number;
  /** Milliseconds per run, in run order. */
  loadMs?: number[];
  medianMs?: number;
  error?: string;
}

/** functions/<name>/index.ts for every function folder. */
export function lambdaEntries(): string[] {
  const dir = join(PROJECT_ROOT, "functions");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "lib" && existsSync(join(dir, d.name, "index.ts")))
    .map((d) => `functions/${d.name}/index.ts`)
    .sort();
}

const TIMER = [
  "const t0 = process.hrtime.bigint();",
  "require(process.argv[1]);",
  "const ms = Number(process.hrtime.bigint() - t0) / 1e6;",
  "process.stdout.write(String(ms));",
].join("\n");

/** Times `require(file)` in `runs` fresh node processes. */
export function coldLoadMs(file: string, runs: number, env: NodeJS.ProcessEnv = {}): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ["-e", TIMER, file], {
      encoding: "utf8",
      // A Lambda-like environment: no credentials, nothing that would make the SDK reach out at load.
      env: { PATH: process.env.PATH ?? "", AWS_REGION: "eu-west-1", ...env },
    });
    if (result.status !== 0)
      throw new Error(`require failed: ${(result.stderr || "").trim().split("\n").slice(0, 3).join(" | ")}`);
    samples.push(Number(result.stdout));
  }
  return samples;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function measureLambda(entry: string, runs: number): LambdaLoadFigures {
  const name = entry.split("/")[1] ?? entry;
  try {
    const bundle = bundleLambda(entry);
    const files = unzipSync(readFileSync(bundle.zipPath));
    const code = files["index.js"];
    if (code === undefined) throw new Error("the zip has no index.js");
    const dir = join(tmpdir(), "edgeplane-bench-lambda", name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "index.js");
    writeFileSync(file, code);
    const loadMs = coldLoadMs(file, runs, { AWS_LAMBDA_FUNCTION_NAME: `bench-${name}` });
    return { name, entry, codeBytes: bundle.codeBytes, zipBytes: bundle.zipBytes, loadMs, medianMs: median(loadMs) };
  } catch (error) {
    return { name, entry, error: error instanceof Error ? error.message : String(error) };
  }
}

export interface SignerLoadFigures {
  name: string;
  codeBytes: number;
  medianMs: number;
}

/**
 * The choice between akamai-edgegrid (the library the users named) and the project's own signer rests on
 * this: both bundled the way a Lambda bundles them, then loaded cold. The project signer is checked against
 * akamai-edgegrid's output in __tests__/core/edgegrid/sign.test.ts.
 */
export function measureSigners(runs: number): SignerLoadFigures[] {
  const candidates: Array<[string, string]> = [
    ["akamai-edgegrid 4.0.4", `module.exports = require("akamai-edgegrid");`],
    ["project signer+transport", `module.exports = require("./core/edgegrid/transport");`],
  ];
  return candidates.map(([name, source]) => {
    const result = buildSync({
      stdin: { contents: source, resolveDir: PROJECT_ROOT, loader: "ts" },
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      mainFields: ["module", "main"],
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const code = result.outputFiles[0]!.contents;
    const dir = join(tmpdir(), "edgeplane-bench-signers", name.replace(/[^a-z0-9]+/gi, "-"));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "index.js");
    writeFileSync(file, code);
    return { name, codeBytes: code.byteLength, medianMs: median(coldLoadMs(file, runs)) };
  });
}
