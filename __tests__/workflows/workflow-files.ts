/** The GitHub workflow and composite action files of the repository, parsed, with their steps listed. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";

export const ROOT = join(__dirname, "..", "..");
export const WORKFLOWS_DIR = join(ROOT, ".github", "workflows");
export const ACTIONS_DIR = join(ROOT, ".github", "actions");

export type Yaml = Record<string, any>;

export interface WorkflowFile {
  /** Path relative to the repository root. */
  path: string;
  kind: "workflow" | "action";
  doc: Yaml;
}

export interface Step {
  file: WorkflowFile;
  /** e.g. `jobs.plan.steps[3]` or `runs.steps[0]`. */
  where: string;
  /** The job's `env`, for resolving `${{ env.X }}` in its steps. */
  jobEnv: Record<string, string>;
  step: Yaml;
}

export function loadYaml(path: string): Yaml {
  const text = readFileSync(path, "utf8");
  const doc = parseYaml(text) as unknown;
  if (typeof doc !== "object" || doc === null) throw new Error(`${path}: not a YAML mapping`);
  return doc as Yaml;
}

export function workflowFiles(): WorkflowFile[] {
  const files: WorkflowFile[] = [];
  if (existsSync(WORKFLOWS_DIR)) {
    for (const name of readdirSync(WORKFLOWS_DIR).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const path = join(WORKFLOWS_DIR, name);
      files.push({ path: relative(ROOT, path), kind: "workflow", doc: loadYaml(path) });
    }
  }
  if (existsSync(ACTIONS_DIR)) {
    for (const name of readdirSync(ACTIONS_DIR).sort()) {
      for (const file of ["action.yml", "action.yaml"]) {
        const path = join(ACTIONS_DIR, name, file);
        if (existsSync(path)) files.push({ path: relative(ROOT, path), kind: "action", doc: loadYaml(path) });
      }
    }
  }
  return files;
}

export function stepsOf(file: WorkflowFile): Step[] {
  if (file.kind === "action") {
    return ((file.doc.runs?.steps ?? []) as Yaml[]).map((step, i) => ({ file, where: `runs.steps[${i}]`, jobEnv: {}, step }));
  }
  const steps: Step[] = [];
  for (const [jobId, job] of Object.entries<Yaml>(file.doc.jobs ?? {})) {
    const jobEnv = Object.fromEntries(
      Object.entries<unknown>({ ...(file.doc.env ?? {}), ...(job.env ?? {}) }).map(([k, v]) => [k, String(v)]),
    );
    for (const [i, step] of ((job.steps ?? []) as Yaml[]).entries())
      steps.push({ file, where: `jobs.${jobId}.steps[${i}]`, jobEnv, step });
  }
  return steps;
}

/** The trigger mapping: YAML 1.1 parsers read a bare `on` as true, so accept both keys. */
export function triggersOf(doc: Yaml): Yaml {
  const on = doc.on ?? doc[true as unknown as string];
  if (typeof on === "string") return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e: string) => [e, {}]));
  return (on ?? {}) as Yaml;
}
