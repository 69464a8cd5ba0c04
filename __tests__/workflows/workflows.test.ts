/**
 * The workflows in .github/: every command they run exists (npm scripts, `edgeplane` subcommands and their
 * options, Terraform subcommands and options, tools), every local action and reusable workflow they use gets
 * the inputs it declares, and the pipeline covers every environment in config/, deploying in order.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../../config";
import { reportMarker } from "../../cli/plan-report/markdown";
import { shellCommands, type ShellCommand } from "./shell-commands";
import { ROOT, type Step, type WorkflowFile, type Yaml, loadYaml, stepsOf, triggersOf, workflowFiles } from "./workflow-files";

const files = workflowFiles();
const byPath = (path: string): WorkflowFile => {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} does not exist`);
  return file;
};
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};

/** Tools the workflows may call besides npm, npx, node and terraform: present on GitHub's ubuntu runners. */
const RUNNER_TOOLS = new Set([
  "[",
  "cat",
  "cd",
  "cp",
  "cut",
  "echo",
  "exit",
  "git",
  "grep",
  "jq",
  "mkdir",
  "mktemp",
  "openssl",
  "printf",
  "read",
  "rm",
  "sed",
  "set",
  "sha256sum",
  "tee",
  "test",
  "tr",
  "true",
  "umask",
]);
/** npm subcommands the workflows may use (`npm install` would not install the lockfile's exact tree). */
const NPM_BUILTINS = new Set(["ci", "exec"]);

/** `case "name":` labels of the switch in cli/main.ts: the subcommands the CLI has. */
function cliSubcommands(): string[] {
  const source = readFileSync(join(ROOT, "cli", "main.ts"), "utf8");
  return [...source.matchAll(/case\s+"([^"]+)"\s*:/g)].map((m) => m[1]!);
}

interface Found {
  step: Step;
  command: ShellCommand;
}

function runCommands(): Found[] {
  const found: Found[] = [];
  for (const file of files) {
    for (const step of stepsOf(file)) {
      if (typeof step.step.run !== "string") continue;
      for (const command of shellCommands(step.step.run)) found.push({ step, command });
    }
  }
  return found;
}

const where = ({ step, command }: Found) => `${step.file.path} ${step.where} line ${command.line}: ${command.words.join(" ")}`;

/** `npx [flags] edgeplane sub …` or `node cli/bin.cjs sub …` → ["sub", …args]. */
function edgeplaneInvocation(command: ShellCommand): { args: string[]; literal: boolean[] } | undefined {
  const [name, ...rest] = command.words;
  let offset = 1;
  if (name === "npx") {
    while (rest[offset - 1]?.startsWith("-")) offset++;
    if (command.words[offset] !== "edgeplane") return undefined;
    offset++;
  } else if (name === "node" && command.words[1] === packageJson.bin.edgeplane) {
    offset = 2;
  } else if (name !== "edgeplane") {
    return undefined;
  }
  return { args: command.words.slice(offset), literal: command.literal.slice(offset) };
}

function terraformInvocation(command: ShellCommand): { subcommand: string; options: string[] } | undefined {
  if (command.words[0] !== "terraform") return undefined;
  let i = 1;
  while (command.words[i]?.startsWith("-")) i++; // global options such as -chdir=DIR
  const subcommand = command.words[i] ?? "";
  const options = command.words
    .slice(i + 1)
    .filter((w, k) => w.startsWith("-") && command.literal[i + 1 + k])
    .map((w) => w.split("=")[0]!);
  return { subcommand, options };
}

describe("workflow files", () => {
  test("the pipeline's workflows exist and are triggered as intended", () => {
    expect(Object.keys(triggersOf(byPath(".github/workflows/plan.yml").doc))).toEqual(["pull_request"]);
    expect(triggersOf(byPath(".github/workflows/deploy.yml").doc)).toEqual({ push: { branches: ["main"] } });
    for (const reusable of ["apply-stack.yml", "purge.yml"]) {
      expect(Object.keys(triggersOf(byPath(`.github/workflows/${reusable}`).doc))).toEqual(["workflow_call"]);
    }
  });

  test("the shell reader finds the commands in a script", () => {
    const commands = shellCommands(
      [
        'FOO=1 npx edgeplane plan-report --stack "a=$B" \\',
        '  --json > "$OUT" 2>&1 || echo "failed: $(git rev-parse HEAD)"',
        'for x in $(jq -r \'.[]\' <<<"$L"); do allow+=(--allow "$x"); done',
        'if [ -z "$K" ]; then exit 1; fi # comment; not a command',
      ].join("\n"),
    ).map((c) => c.words.join(" "));
    expect(commands).toEqual([
      "npx edgeplane plan-report --stack a=$B --json",
      "git rev-parse HEAD",
      "echo failed: $(…)",
      "jq -r .[]",
      "[ -z $K ]",
      "exit 1",
    ]);
  });

  test("every command the workflows run exists", () => {
    const problems: string[] = [];
    const subcommands = cliSubcommands();
    for (const found of runCommands()) {
      const { command } = found;
      const [name, ...args] = command.words;
      if (!name) continue;
      if (name === "npm") {
        const [sub, script] = args;
        if (sub === "test" || sub === "start") {
          if (!packageJson.scripts[sub]) problems.push(`${where(found)}: package.json has no "${sub}" script`);
        } else if (sub === "run" || sub === "run-script") {
          if (!script || !packageJson.scripts[script]) problems.push(`${where(found)}: package.json has no script "${script}"`);
        } else if (!NPM_BUILTINS.has(sub ?? "")) {
          problems.push(
            `${where(found)}: npm ${sub} is not one of npm test, npm run <script>, ${[...NPM_BUILTINS].map((b) => `npm ${b}`).join(", ")}`,
          );
        }
      } else if (edgeplaneInvocation(command)) {
        const sub = edgeplaneInvocation(command)!.args[0];
        if (!sub || !subcommands.includes(sub))
          problems.push(`${where(found)}: cli/main.ts has no subcommand "${sub}" (it has ${subcommands.join(", ")})`);
      } else if (name === "npx") {
        const bin = args.find((a) => !a.startsWith("-"));
        if (!bin || !existsSync(join(ROOT, "node_modules", ".bin", bin)))
          problems.push(`${where(found)}: no installed package provides "${bin}"`);
      } else if (name === "terraform") {
        // Subcommands and options are checked against Terraform itself below.
      } else if (name.startsWith("./") || name.startsWith(".ci/")) {
        const path = join(ROOT, name);
        if (!existsSync(path) || (statSync(path).mode & 0o111) === 0)
          problems.push(`${where(found)}: ${name} is not an executable file in the repository`);
      } else if (!RUNNER_TOOLS.has(name)) {
        problems.push(
          `${where(found)}: "${name}" is not a tool this test knows runners to have (add it to RUNNER_TOOLS if they do)`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  test("the edgeplane subcommands the workflows need are in cli/main.ts, and take the options used", () => {
    const subcommands = cliSubcommands();
    const needed = new Map<string, Set<string>>();
    for (const { command } of runCommands()) {
      const invocation = edgeplaneInvocation(command);
      if (!invocation) continue;
      const [sub, ...args] = invocation.args;
      const options = needed.get(sub!) ?? new Set<string>();
      args.forEach((a, i) => {
        if (a.startsWith("--") && invocation.literal[i + 1]) options.add(a.split("=")[0]!);
      });
      needed.set(sub!, options);
    }
    // What the workflows rely on today (plan.yml: plan-report; purge.yml: purge).
    expect([...needed.keys()].sort()).toEqual(["plan-report", "purge"]);
    const missing = [...needed.keys()].filter((sub) => !subcommands.includes(sub));
    expect(missing).toEqual([]);
    for (const [sub, options] of needed) {
      const help = spawnSync(process.execPath, [join(ROOT, packageJson.bin.edgeplane!), sub, "--help"], {
        encoding: "utf8",
        cwd: ROOT,
      });
      expect({ sub, status: help.status }).toEqual({ sub, status: 0 });
      const unknown = [...options].filter((o) => !help.stdout.includes(o));
      expect({ sub, unknown }).toEqual({ sub, unknown: [] });
    }
  });

  const terraform = spawnSync("terraform", ["version"], {
    encoding: "utf8",
    env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
  });
  const haveTerraform = !terraform.error && terraform.status === 0;
  (haveTerraform || process.env.CI === "true" ? test : test.skip)(
    "the Terraform subcommands and options the workflows use exist",
    () => {
      expect(haveTerraform).toBe(true);
      const env = { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1" };
      const helpOf = new Map<string, string>();
      const help = (sub: string) => {
        if (!helpOf.has(sub)) {
          const r = spawnSync("terraform", sub ? [sub, "-help"] : ["-help"], { encoding: "utf8", env });
          helpOf.set(sub, `${r.stdout}${r.stderr}`);
        }
        return helpOf.get(sub)!;
      };
      const problems: string[] = [];
      let seen = 0;
      for (const found of runCommands()) {
        const invocation = terraformInvocation(found.command);
        if (!invocation) continue;
        seen += 1;
        if (!new RegExp(`^\\s+${invocation.subcommand}\\s`, "m").test(help(""))) {
          problems.push(`${where(found)}: terraform has no subcommand "${invocation.subcommand}"`);
          continue;
        }
        for (const option of invocation.options) {
          if (!help(invocation.subcommand).includes(option))
            problems.push(`${where(found)}: terraform ${invocation.subcommand} has no option ${option}`);
        }
      }
      expect(seen).toBeGreaterThanOrEqual(5);
      expect(problems).toEqual([]);
    },
  );

  test("local actions and reusable workflows exist and get exactly the inputs they declare", () => {
    const problems: string[] = [];
    const check = (origin: string, target: Yaml, declared: Yaml | undefined, given: Yaml | undefined) => {
      const inputs = declared ?? {};
      for (const key of Object.keys(given ?? {}))
        if (!(key in inputs)) problems.push(`${origin}: input "${key}" is not declared`);
      for (const [key, spec] of Object.entries<Yaml>(inputs)) {
        if (spec?.required === true && spec.default === undefined && !(key in (given ?? {})))
          problems.push(`${origin}: required input "${key}" is not given`);
      }
      return target;
    };
    for (const file of files) {
      for (const step of stepsOf(file)) {
        const uses = step.step.uses;
        if (typeof uses !== "string" || !uses.startsWith("./")) continue;
        const path = join(ROOT, uses, "action.yml");
        if (!existsSync(path)) {
          problems.push(`${file.path} ${step.where}: ${uses} has no action.yml`);
          continue;
        }
        const action = loadYaml(path);
        check(`${file.path} ${step.where} (${uses})`, action, action.inputs, step.step.with);
      }
      for (const [jobId, job] of Object.entries<Yaml>(file.kind === "workflow" ? (file.doc.jobs ?? {}) : {})) {
        if (typeof job.uses !== "string" || !job.uses.startsWith("./")) continue;
        const path = join(ROOT, job.uses);
        if (!existsSync(path)) {
          problems.push(`${file.path} jobs.${jobId}: ${job.uses} does not exist`);
          continue;
        }
        const called = loadYaml(path);
        const call = triggersOf(called).workflow_call;
        if (!call) problems.push(`${file.path} jobs.${jobId}: ${job.uses} is not a reusable workflow (no workflow_call)`);
        else check(`${file.path} jobs.${jobId} (${job.uses})`, called, call.inputs, job.with);
      }
    }
    expect(problems).toEqual([]);
  });

  test("actions from other repositories are pinned to a major version or a commit", () => {
    const unpinned: string[] = [];
    for (const file of files) {
      for (const step of stepsOf(file)) {
        const uses = step.step.uses;
        if (typeof uses === "string" && !uses.startsWith("./") && !/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(uses))
          unpinned.push(`${file.path} ${step.where}: ${uses}`);
      }
    }
    expect(unpinned).toEqual([]);
  });

  test("github-script steps compile, and the scripts they load are in the action's folder", () => {
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => unknown;
    let seen = 0;
    for (const file of files) {
      for (const step of stepsOf(file)) {
        if (typeof step.step.uses !== "string" || !step.step.uses.startsWith("actions/github-script@")) continue;
        seen += 1;
        const script = String(step.step.with?.script ?? "");
        expect(
          () => new AsyncFunction("require", "github", "context", "core", "glob", "io", "exec", "fetch", script),
        ).not.toThrow();
        for (const [, name] of script.matchAll(/"([\w.-]+\.js)"/g)) {
          expect({ file: file.path, script: name, exists: existsSync(join(ROOT, file.path, "..", name!)) }).toEqual({
            file: file.path,
            script: name,
            exists: true,
          });
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(2);
  });

  test("every environment in config/ is planned, and deployed one after the other in config order", () => {
    const environments = loadEnvironments().map((e) => e.name);
    const plan = byPath(".github/workflows/plan.yml").doc;
    expect(plan.jobs.plan.strategy.matrix.env).toEqual(environments);

    const deploy = byPath(".github/workflows/deploy.yml").doc;
    const applyJobs = Object.entries<Yaml>(deploy.jobs).filter(([, job]) => job.uses === "./.github/workflows/apply-stack.yml");
    expect(applyJobs.map(([, job]) => job.with.environment)).toEqual(environments);
    applyJobs.forEach(([id, job], i) => {
      const needs = [job.needs].flat();
      expect({ id, needsReviewedPlan: needs.includes("reviewed-plan") }).toEqual({ id, needsReviewedPlan: true });
      if (i > 0) expect({ id, needsPrevious: needs.includes(applyJobs[i - 1]![0]) }).toEqual({ id, needsPrevious: true });
    });
    const apply = byPath(".github/workflows/apply-stack.yml").doc;
    expect(apply.jobs.apply.environment).toBe("${{ inputs.environment }}");
  });

  test("deploy downloads the artifact the plan job uploads, for the same stack", () => {
    const resolve = (text: string, env: Record<string, string>, envName: string) =>
      text
        .replace(/\$\{\{\s*env\.(\w+)\s*\}\}/g, (_, k: string) => env[k] ?? `<no env ${k}>`)
        .replace(/\$\{\{\s*(matrix\.env|inputs\.environment)\s*\}\}/g, envName);
    const upload = stepsOf(byPath(".github/workflows/plan.yml")).find(
      (s) => String(s.step.uses).startsWith("actions/upload-artifact@") && s.where.startsWith("jobs.plan."),
    )!;
    const download = stepsOf(byPath(".github/workflows/apply-stack.yml")).find((s) =>
      String(s.step.uses).startsWith("actions/download-artifact@"),
    )!;
    for (const env of loadEnvironments().map((e) => e.name)) {
      expect(resolve(download.step.with.name, download.jobEnv, env)).toBe(resolve(upload.step.with.name, upload.jobEnv, env));
      expect(resolve(download.step.with.path, download.jobEnv, env)).toBe(`cdktf.out/stacks/edgeplane-${env}`);
    }
    expect(download.step.with["run-id"]).toBe("${{ inputs.plan-run-id }}");
  });

  test("the comment action finds comments by the marker plan-report writes", () => {
    const { markerOf } = require(join(ROOT, ".github/actions/plan-comment/upsert-comment.js")) as {
      markerOf: (stack: string) => string;
    };
    expect(markerOf("edgeplane-prod")).toBe(reportMarker("edgeplane-prod"));
  });
});
