/**
 * `npm run synth` (`tsx cli/synth.ts [--output DIR]`): runs the CDKTF app (main.ts) in this process with the
 * environment `cdktf synth` would give it, so it writes the same bytes into cdktf.out without the CLI's
 * start-up (about 7 s of the CLI's 9 s here). __tests__/synth/synth-output.test.ts holds it to that.
 *
 * What `cdktf synth` does around the app (cdktf-cli 0.21.0, @cdktf/cli-core/src/lib/synth-stack.js and
 * @cdktf/commons/src/config.js), and what this does the same way:
 * - environment: CDKTF_OUTDIR (the -o option, default cdktf.json "output" or "cdktf.out"),
 *   CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS=true, SYNTH_HCL_OUTPUT=false, CDKTF_CONTEXT_JSON (cdktf.json
 *   "context" plus cdktfRelativeModules: the local entries of "terraformModules"), NODE_OPTIONS
 *   --max-old-space-size=4096 when unset (only children see it here), and no TF_VAR_* variables;
 * - afterwards: prints every annotation, fails when one is an error, and removes stack directories of
 *   stacks the app no longer has.
 * `cdktf synth`, `cdktf deploy` and the other CLI commands keep working as before.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";

export const PROJECT_DIR = join(__dirname, "..");

interface CdktfJson {
  app?: string;
  output?: string;
  context?: Record<string, unknown>;
  terraformModules?: Array<string | { source: string }>;
}

function readCdktfJson(projectDir: string): CdktfJson {
  return JSON.parse(readFileSync(join(projectDir, "cdktf.json"), "utf8")) as CdktfJson;
}

/** The output directory `cdktf synth` uses when no -o is given. */
export function defaultOutdir(projectDir = PROJECT_DIR): string {
  return readCdktfJson(projectDir).output ?? "cdktf.out";
}

/** The environment `cdktf synth -o outdir` runs the app with. */
export function cdktfAppEnv(outdir: string, projectDir = PROJECT_DIR, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const config = readCdktfJson(projectDir);
  const env = Object.fromEntries(Object.entries(base).filter(([key]) => !key.startsWith("TF_VAR_")));
  if (!env.NODE_OPTIONS) env.NODE_OPTIONS = "--max-old-space-size=4096";
  // The CLI replaces CDKTF_CONTEXT_JSON with cdktf.json's context when that has one.
  const context =
    config.context ?? (base.CDKTF_CONTEXT_JSON ? (JSON.parse(base.CDKTF_CONTEXT_JSON) as Record<string, unknown>) : {});
  const cdktfRelativeModules = (config.terraformModules ?? []).filter((module) => {
    const source = typeof module === "string" ? module : module.source;
    return source.startsWith("./") || source.startsWith("../");
  });
  return {
    ...env,
    CDKTF_OUTDIR: outdir,
    CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true",
    CDKTF_CONTEXT_JSON: JSON.stringify({ ...context, cdktfRelativeModules }),
    SYNTH_HCL_OUTPUT: "false",
  };
}

interface Annotation {
  constructPath: string;
  level: string;
  message: string;
}

interface Manifest {
  stacks: Record<string, { name: string; annotations?: Annotation[] }>;
}

function stackDirectories(outdir: string): string[] {
  const stacks = join(outdir, "stacks");
  return existsSync(stacks)
    ? readdirSync(stacks, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
}

/** Synthesizes the app into `outdir`; returns the exit status (1 when an annotation is an error). */
export function synthesize(outdir = defaultOutdir(), projectDir = PROJECT_DIR): number {
  const absoluteOutdir = resolve(projectDir, outdir);
  const before = stackDirectories(absoluteOutdir);
  // The app reads the environment when it builds (cdktf's App and stacks), so set it before loading it.
  const env = cdktfAppEnv(outdir, projectDir);
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
  process.chdir(projectDir);
  require(join(projectDir, "main"));

  const manifest = JSON.parse(readFileSync(join(absoluteOutdir, "manifest.json"), "utf8")) as Manifest;
  const stacks = Object.values(manifest.stacks);
  let errors = 0;
  for (const stack of stacks) {
    for (const annotation of stack.annotations ?? []) {
      const level = annotation.level.replace(/^@cdktf\//, "").toUpperCase();
      if (level === "ERROR") errors++;
      console.log(`${level} [${annotation.constructPath}]: ${annotation.message}`);
    }
  }
  const names = new Set(stacks.map((s) => s.name));
  for (const orphan of before.filter((dir) => !names.has(basename(dir))))
    rmSync(join(absoluteOutdir, "stacks", orphan), { recursive: true, force: true });
  if (errors > 0) {
    console.error("While synthesizing one or more error annotations have been encountered. Please check the log output above.");
    return 1;
  }
  console.log(`Generated Terraform code for the stacks: ${stacks.map((s) => s.name).join(", ")}`);
  return 0;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outputAt = args.findIndex((a) => a === "--output" || a === "-o");
  if (args.length > 0 && (outputAt !== 0 || args.length !== 2)) {
    console.error("usage: tsx cli/synth.ts [--output DIR]");
    process.exit(64);
  }
  process.exitCode = synthesize(outputAt === 0 ? args[1] : undefined);
}
