/**
 * `edgeplane plan-report`: reads `terraform show -json <planfile>` for one or more stacks and writes the
 * Markdown plan review (or a JSON summary). Exit codes: 0 ok, 1 unreadable input, 2 a blocking guard
 * finding that nobody acknowledged with --allow, 64 usage error.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { StackReport } from "./evaluate";
import { evaluatePlan, unacknowledgedBlocks } from "./evaluate";
import { DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT, renderReport } from "./markdown";
import { PlanFormatError, parsePlan } from "./plan";
import { RULES } from "./rules";
import { summarize } from "./summary";
import { type FlagSpec, HELP_FLAG, flagValue, parseFlags } from "../flags";
import { type CommandIo, UsageError, processIo } from "../io";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BLOCKED = 2;
export const EXIT_USAGE = 64;

export const PLAN_REPORT_USAGE = `usage: edgeplane plan-report [options] PLAN.json [PLAN.json ...]

Reads the output of \`terraform show -json <planfile>\` for one or more stacks and writes a Markdown plan
review: counts, guard-rule findings, destroys and replacements first, every change in a collapsible list.

options:
  --stack NAME=PLAN.json  a plan and its stack name (repeatable). A plain PLAN.json takes the stack name from
                          its file name (edgeplane-dev.json, edgeplane-dev.plan.json) or, for a generic
                          name such as plan.json, from its folder (cdktf.out/stacks/edgeplane-dev/plan.json).
                          "-" reads standard input.
  --allow RULE_ID         acknowledge a blocking guard rule after review (repeatable)
  --out FILE              write the Markdown to FILE instead of standard output
  --json                  print a JSON summary on standard output (with --out the Markdown still goes to FILE)
  --commit SHA            the commit the plans were made from, shown in the report
  --max-chars N           size budget for the Markdown (default ${DEFAULT_MAX_CHARS}; a GitHub comment holds ${GITHUB_COMMENT_LIMIT})
  --list-rules            list the guard rules (id, severity, why) and exit
  -h, --help              show this text

exit status: 0 ok, 1 unreadable plan, 2 blocking finding not acknowledged, 64 usage error
`;

/** The CLI's IO (cli/io.ts) plus the files plan-report reads and writes. */
export interface PlanReportIo extends Pick<CommandIo, "stdout" | "stderr"> {
  readFile: (path: string) => string;
  writeFile: (path: string, text: string) => void;
}

/** plan-report's IO over the CLI's: stdout/stderr from `io`, files from disk ("-" is standard input). */
export function planReportIo(io: Pick<CommandIo, "stdout" | "stderr"> = processIo()): PlanReportIo {
  const { stdout, stderr } = io;
  return {
    stdout,
    stderr,
    readFile: (path) => readFileSync(path === "-" ? 0 : path, "utf8"),
    writeFile: (path, text) => writeFileSync(path, text),
  };
}

interface Options {
  inputs: Array<{ stack: string; path: string }>;
  allow: string[];
  out?: string;
  json: boolean;
  commit?: string;
  maxChars: number;
  listRules: boolean;
  help: boolean;
}

export async function planReport(args: readonly string[], io: PlanReportIo = planReportIo()): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`edgeplane plan-report: ${error.message}\n${PLAN_REPORT_USAGE}`);
    return EXIT_USAGE;
  }
  if (options.help) {
    io.stdout(PLAN_REPORT_USAGE);
    return EXIT_OK;
  }
  if (options.listRules) {
    // One rule per line: id, severity and why, tab-separated.
    for (const rule of RULES) io.stdout(`${rule.id}\t${rule.severity}\t${rule.why}\n`);
    return EXIT_OK;
  }

  const allow = new Set(options.allow);
  const reports: StackReport[] = [];
  for (const input of options.inputs) {
    let text: string;
    try {
      text = io.readFile(input.path);
    } catch (error) {
      io.stderr(`edgeplane plan-report: cannot read ${input.path}: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
    try {
      reports.push(evaluatePlan(input.stack, input.path, parsePlan(text, input.path), RULES, allow));
    } catch (error) {
      if (!(error instanceof PlanFormatError)) throw error;
      io.stderr(`edgeplane plan-report: ${error.message}\n`);
      return EXIT_FAILURE;
    }
  }

  const blocked = reports.some((r) => unacknowledgedBlocks(r).length > 0);
  const exitCode = blocked ? EXIT_BLOCKED : EXIT_OK;
  const renderOptions = options.commit ? { maxChars: options.maxChars, commit: options.commit } : { maxChars: options.maxChars };
  const rendered = renderReport(reports, renderOptions);
  if (options.out) {
    try {
      io.writeFile(options.out, rendered.markdown);
    } catch (error) {
      io.stderr(`edgeplane plan-report: cannot write ${options.out}: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
  }
  if (options.json) io.stdout(`${JSON.stringify(summarize(reports, options.allow, rendered.truncated, exitCode), null, 2)}\n`);
  else if (!options.out) io.stdout(rendered.markdown);

  for (const report of reports) {
    for (const f of unacknowledgedBlocks(report)) {
      io.stderr(
        `edgeplane plan-report: ${report.stack}: blocked by ${f.ruleId} on ${f.address}: ${f.detail} (acknowledge with --allow ${f.ruleId})\n`,
      );
    }
  }
  const unused = options.allow.filter((id) => !reports.some((r) => r.findings.some((f) => f.ruleId === id && f.allowed)));
  if (unused.length > 0)
    io.stderr(
      `edgeplane plan-report: --allow ${unused.join(", ")}: no blocking finding of ${unused.length === 1 ? "that rule" : "those rules"} in these plans\n`,
    );
  return exitCode;
}

/** The flags of plan-report (cli/flags.ts reads them, as for every command). */
export const PLAN_REPORT_FLAGS: readonly FlagSpec[] = [
  { name: "--stack", value: "NAME=PLAN.json", repeatable: true },
  { name: "--allow", value: "a blocking guard rule id", repeatable: true },
  { name: "--out", value: "a file path for the Markdown" },
  { name: "--json" },
  { name: "--commit", value: "a commit SHA" },
  { name: "--max-chars", value: `a whole number from 1000 to ${GITHUB_COMMENT_LIMIT}` },
  { name: "--list-rules" },
  HELP_FLAG,
];

function parseArgs(args: readonly string[]): Options {
  const flags = parseFlags(args, PLAN_REPORT_FLAGS);
  const options: Options = {
    inputs: [],
    allow: [],
    json: flags.booleans.has("--json"),
    maxChars: DEFAULT_MAX_CHARS,
    listRules: flags.booleans.has("--list-rules"),
    help: flags.booleans.has("--help"),
  };
  const ruleIds = new Set(RULES.map((r) => r.id));
  const blockingIds = RULES.filter((r) => r.severity === "block").map((r) => r.id);
  const out = flagValue(flags, "--out");
  if (out !== undefined) options.out = out;
  const commit = flagValue(flags, "--commit");
  if (commit !== undefined) options.commit = commit;
  for (const id of flags.values.get("--allow") ?? []) {
    if (!ruleIds.has(id)) throw new UsageError(`--allow ${id}: no such guard rule; blocking rules: ${blockingIds.join(", ")}`);
    if (!blockingIds.includes(id)) throw new UsageError(`--allow ${id}: that rule only warns; there is nothing to acknowledge`);
    if (!options.allow.includes(id)) options.allow.push(id);
  }
  const maxChars = flagValue(flags, "--max-chars");
  if (maxChars !== undefined) {
    const n = Number(maxChars);
    if (!Number.isInteger(n) || n < 1000 || n > GITHUB_COMMENT_LIMIT)
      throw new UsageError(`--max-chars ${maxChars}: must be a whole number from 1000 to ${GITHUB_COMMENT_LIMIT}`);
    options.maxChars = n;
  }
  for (const mapping of flags.values.get("--stack") ?? []) {
    const eq = mapping.indexOf("=");
    if (eq <= 0 || eq === mapping.length - 1) throw new UsageError(`--stack ${mapping}: expected NAME=PLAN.json`);
    options.inputs.push({ stack: mapping.slice(0, eq), path: mapping.slice(eq + 1) });
  }
  for (const path of flags.positionals) options.inputs.push({ stack: stackNameOf(path), path });
  if (!options.help && !options.listRules && options.inputs.length === 0) throw new UsageError("no plan given");
  const seen = new Set<string>();
  for (const { stack } of options.inputs) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(stack))
      throw new UsageError(`stack name "${stack}" must be letters, digits, ".", "_" or "-"; name it with --stack NAME=PLAN.json`);
    if (seen.has(stack)) throw new UsageError(`stack "${stack}" is given twice; name each plan with --stack NAME=PLAN.json`);
    seen.add(stack);
  }
  return options;
}

const GENERIC_NAMES = new Set(["plan", "tfplan", "show", "terraform"]);

/** edgeplane-dev.json / edgeplane-dev.plan.json → edgeplane-dev; cdktf.out/stacks/edgeplane-dev/plan.json → edgeplane-dev. */
export function stackNameOf(path: string): string {
  if (path === "-") return "stdin";
  const name = basename(path)
    .replace(/\.json$/i, "")
    .replace(/[.-](tf)?plan$/i, "");
  if (name && !GENERIC_NAMES.has(name.toLowerCase())) return name;
  const folder = basename(dirname(path));
  return folder && folder !== "." && folder !== "/" ? folder : name || "stack";
}
