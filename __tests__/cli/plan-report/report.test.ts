/**
 * `edgeplane plan-report` on plan JSON for the dev stack's akamai resources (shaped by the provider schema):
 * ordering, guard findings and exit codes, masking, the JSON summary, several stacks, size limits and
 * usage errors. The command runs as users run it (cli/bin.cjs) where exit codes and files matter.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planReport } from "../../../cli/plan-report/command";
import { RULES } from "../../../cli/plan-report/rules";
import { GITHUB_COMMENT_LIMIT, reportMarker } from "../../../cli/plan-report/markdown";
import type { ResourceChange } from "../../../cli/plan-report/plan";
import type { PlanReportSummary } from "../../../cli/plan-report/summary";
import {
  FAKE_SECRETS,
  apiClientEmailsChanged,
  apiClientReplaced,
  devPlan,
  namespaceDestroyed,
  namespaceReplaced,
  namespaceRetentionChanged,
} from "./helpers/fixtures";

const BIN = join(__dirname, "../../../cli/bin.cjs");
const dir = mkdtempSync(join(tmpdir(), "edgeplane-plan-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "plan-report", ...args], { encoding: "utf8" });

function writePlan(name: string, changes: ResourceChange[] | Record<string, unknown>): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, JSON.stringify(Array.isArray(changes) ? devPlan(changes) : changes));
  return path;
}

/** planReport in-process, with its output captured. */
async function run(args: string[], files: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const written: Record<string, string> = {};
  const status = await planReport(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: (p) => files[p] ?? readFileSync(p, "utf8"),
    writeFile: (p, t) => (written[p] = t),
  });
  return { status, stdout, stderr, written };
}

/** A plain update of the bucket of the dev stack, to pad a plan with harmless changes. */
function bucketUpdate(i: number): ResourceChange {
  return {
    address: `aws_s3_bucket.bucket_${String(i).padStart(4, "0")}`,
    mode: "managed",
    type: "aws_s3_bucket",
    name: `bucket_${i}`,
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: {
      actions: ["update"],
      before: { bucket: `b${i}`, tags: { owner: "a" } },
      after: { bucket: `b${i}`, tags: { owner: "b" } },
      after_unknown: {},
      before_sensitive: {},
      after_sensitive: {},
    },
  };
}

describe("plan-report on a plan that destroys an EdgeKV namespace", () => {
  let plan: string;
  beforeAll(() => {
    plan = writePlan("edgeplane-dev.json", [apiClientEmailsChanged(), namespaceDestroyed()]);
  });

  test("puts the destroy first, names the rule, and exits 2", () => {
    const result = cli(plan);
    expect(result.status).toBe(2);
    const md = result.stdout;
    expect(md.startsWith(`${reportMarker("edgeplane-dev")}\n### Plan for \`edgeplane-dev\` ⛔ blocked`)).toBe(true);
    expect(md).toContain(
      "**0 to add · 1 to change · 1 to destroy · 0 to replace** (Terraform: `Plan: 0 to add, 1 to change, 1 to destroy.`)",
    );
    expect(md).toContain("`--allow edgekv-namespace-destroyed`");
    // Findings, then destroyed/replaced, then the full list; in each, the destroy comes before the update.
    const finding = md.indexOf(
      '⛔ **block** `edgekv-namespace-destroyed` on `akamai_edgekv.dev_config_staging`: namespace "dev\\_config" on staging is destroyed.',
    );
    const danger = md.indexOf("- 🗑️ **destroy** `akamai_edgekv.dev_config_staging`: removed from the configuration");
    const details = md.indexOf("<details><summary>All 2 changes</summary>");
    const destroyInList = md.indexOf("- 🗑️ **destroy** `akamai_edgekv.dev_config_staging`", details);
    const updateInList = md.indexOf("- ✏️ **update** `akamai_iam_api_client.purge_api_client`", details);
    expect([finding, danger, details, destroyInList, updateInList].every((i) => i > 0)).toBe(true);
    expect(finding).toBeLessThan(danger);
    expect(danger).toBeLessThan(details);
    expect(destroyInList).toBeLessThan(updateInList);
    expect(result.stderr).toContain("blocked by edgekv-namespace-destroyed on akamai_edgekv.dev_config_staging");
    // The PR comment shows why the rule exists under the finding.
    const rule = RULES.find((r) => r.id === "edgekv-namespace-destroyed")!;
    expect(md).toContain(`<sub>Why this rule: ${rule.why.replace(/_/g, "\\_")}</sub>`);
  });

  test("--allow with the rule's id exits 0 and shows the finding as acknowledged", () => {
    const result = cli(plan, "--allow", "edgekv-namespace-destroyed");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("☑️ **block, acknowledged** `edgekv-namespace-destroyed`");
    expect(result.stdout).toContain("> ☑️ Acknowledged: `edgekv-namespace-destroyed`.");
    expect(result.stdout).not.toContain("⛔");
  });

  test("--json summarises counts, findings and destroys for machines", () => {
    const result = cli(plan, "--json", "--allow=edgekv-namespace-destroyed");
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as PlanReportSummary;
    expect(summary).toMatchObject({ blocked: false, exitCode: 0, allowed: ["edgekv-namespace-destroyed"], truncated: false });
    expect(summary.stacks).toHaveLength(1);
    expect(summary.stacks[0]).toMatchObject({
      stack: "edgeplane-dev",
      counts: { add: 0, change: 1, destroy: 1, replace: 0 },
      terraform: "Plan: 0 to add, 1 to change, 1 to destroy.",
      blocked: false,
      destroyed: ["akamai_edgekv.dev_config_staging"],
      replaced: [],
    });
    expect(summary.stacks[0]!.findings).toEqual([
      {
        ruleId: "edgekv-namespace-destroyed",
        severity: "block",
        message: expect.stringContaining("EdgeKV namespace"),
        why: expect.stringContaining("no undo"),
        address: "akamai_edgekv.dev_config_staging",
        detail: 'namespace "dev_config" on staging is destroyed',
        allowed: true,
      },
    ]);
  });

  test("--out writes the Markdown to a file; with --json the summary still goes to stdout", () => {
    const out = join(dir, "report.md");
    const result = cli(plan, "--out", out, "--json");
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).blocked).toBe(true);
    expect(readFileSync(out, "utf8")).toContain(reportMarker("edgeplane-dev"));
    const quiet = cli(plan, "--out", out, "--allow", "edgekv-namespace-destroyed");
    expect([quiet.status, quiet.stdout]).toEqual([0, ""]);
  });
});

describe("plan-report contents", () => {
  test("replacements name the attributes that force them, with old and new values", async () => {
    const path = writePlan("replace/edgeplane-dev.plan.json", [namespaceReplaced(), apiClientReplaced()]);
    const { status, stdout } = await run([path, "--allow", "edgekv-namespace-destroyed", "--allow", "api-client-replaced"]);
    expect(status).toBe(0);
    expect(stdout).toContain(
      "**0 to add · 0 to change · 0 to destroy · 2 to replace** (Terraform: `Plan: 2 to add, 0 to change, 2 to destroy.`)",
    );
    expect(stdout).toContain('- ♻️ **replace** `akamai_edgekv.dev_config_staging`, forced by `geo_location` (`"EU"` → `"US"`)');
    expect(stdout).toContain("- ♻️ **replace** `akamai_iam_api_client.purge_api_client`: replacement requested (-replace)");
    expect(stdout).toContain('  - `geo_location`: `"EU"` → `"US"` **(forces replacement)**');
  });

  test("sensitive values are masked everywhere, though the plan JSON holds them", async () => {
    const changes = [apiClientEmailsChanged(), apiClientReplaced()];
    changes[1]!.address = "akamai_iam_api_client.second";
    const text = JSON.stringify(devPlan(changes));
    for (const secret of Object.values(FAKE_SECRETS)) expect(text).toContain(secret);
    const { stdout } = await run(["--stack", "edgeplane-dev=plan.json", "--allow", "api-client-replaced"], { "plan.json": text });
    const json = await run(["--stack", "edgeplane-dev=plan.json", "--json"], { "plan.json": text });
    for (const secret of Object.values(FAKE_SECRETS)) {
      expect(stdout).not.toContain(secret);
      expect(json.stdout).not.toContain(secret);
    }
    const laterLine = stdout.split("\n").find((l) => l.startsWith("  - known after apply: `access_token`"));
    expect(laterLine).toContain("`base_url`");
    expect(laterLine).toContain("`credential.client_secret`");
    expect(laterLine).toContain("`api_access.apis[0].api_name`");
    expect(stdout).toContain('  - `notification_emails[1]`: `(none)` → `"oncall@example.com"`');
  });

  test("policies held as JSON strings are compared statement by statement", async () => {
    const before = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "Q", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["arn:aws:sqs:eu-west-1:1:q"] }],
    });
    const after = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "Q", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:*"], Resource: ["arn:aws:sqs:eu-west-1:1:q"] }],
    });
    const change: ResourceChange = {
      address: "aws_iam_role_policy.p",
      mode: "managed",
      type: "aws_iam_role_policy",
      name: "p",
      change: {
        actions: ["update"],
        before: { name: "p", policy: before },
        after: { name: "p", policy: after },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
      },
    };
    const { status, stdout } = await run(["--stack", "s=p.json"], { "p.json": JSON.stringify(devPlan([change])) });
    expect(status).toBe(2);
    expect(stdout).toContain('  - `policy ▸ Statement[0].Action[1]`: `(none)` → `"sqs:*"`');
    expect(stdout).toContain(
      '⛔ **block** `iam-policy-wildcard` on `aws_iam_role_policy.p`: gains Action "sqs:\\*" on "arn:aws:sqs:eu-west-1:1:q".',
    );
    expect(stdout).toContain("⚠️ **warn** `iam-policy-actions-added`");
  });

  test("several plans make one report with one section (and marker) per stack, named from the file or folder", async () => {
    const a = writePlan("stacks/edgeplane-staging/plan.json", [namespaceRetentionChanged()]);
    const b = writePlan("edgeplane-prod.tfplan.json", [apiClientEmailsChanged()]);
    const { status, stdout } = await run([a, b]);
    expect(status).toBe(0);
    expect(stdout.split("\n---\n")).toHaveLength(2);
    expect(stdout).toContain(`${reportMarker("edgeplane-staging")}\n### Plan for \`edgeplane-staging\` ✅`);
    expect(stdout).toContain(`${reportMarker("edgeplane-prod")}\n### Plan for \`edgeplane-prod\` ✅`);
    const named = await run(["--stack", `one=${a}`, "--stack", `two=${b}`, "--json"]);
    expect((JSON.parse(named.stdout) as PlanReportSummary).stacks.map((s) => s.stack)).toEqual(["one", "two"]);
  });

  test("a plan with no changes says so", async () => {
    const { status, stdout } = await run(["--stack", "edgeplane-dev=p.json"], {
      "p.json": JSON.stringify({ format_version: "1.2", terraform_version: "1.11.4", planned_values: {} }),
    });
    expect(status).toBe(0);
    expect(stdout).toContain("(Terraform: `No changes.`)");
    expect(stdout).toContain("No findings.");
    expect(stdout).toContain("Nothing is destroyed or replaced.");
  });
});

describe("size limit", () => {
  const big = () => devPlan([...Array.from({ length: 2500 }, (_, i) => bucketUpdate(i)), namespaceDestroyed()]);

  test("a huge plan stays under GitHub's comment limit, keeps findings and destroys, and says what was cut", async () => {
    const { status, stdout } = await run(["--stack", "edgeplane-dev=big.json", "--allow", "edgekv-namespace-destroyed"], {
      "big.json": JSON.stringify(big()),
    });
    expect(status).toBe(0);
    expect(stdout.length).toBeLessThanOrEqual(65_000);
    expect(stdout.length).toBeGreaterThan(60_000);
    expect(stdout).toContain("**0 to add · 2500 to change · 1 to destroy · 0 to replace**");
    expect(stdout).toContain("`edgekv-namespace-destroyed` on `akamai_edgekv.dev_config_staging`");
    expect(stdout).toContain("- 🗑️ **destroy** `akamai_edgekv.dev_config_staging`");
    expect(stdout).toMatch(
      /> ⚠️ \*\*Truncated:\*\* \d+ of 2503 entries are not shown, to keep this report within 65,000 characters \(a GitHub comment holds at most 65,536\)/,
    );
    // The collapsible list is still closed after the cut.
    expect(stdout.lastIndexOf("</details>")).toBeGreaterThan(stdout.lastIndexOf("<details>"));
    const json = await run(["--stack", "edgeplane-dev=big.json", "--json"], { "big.json": JSON.stringify(big()) });
    expect(JSON.parse(json.stdout)).toMatchObject({ truncated: true, blocked: true });
  });

  test("--max-chars sets the budget; several stacks share it", async () => {
    const files = { "a.json": JSON.stringify(big()), "b.json": JSON.stringify(devPlan([apiClientEmailsChanged()])) };
    const { stdout } = await run(["--stack", "a=a.json", "--stack", "b=b.json", "--max-chars", "20000"], files);
    expect(stdout.length).toBeLessThanOrEqual(20_000);
    expect(stdout).toContain(reportMarker("a"));
    // The small stack fits whole; the big one is cut.
    expect(stdout).toContain(`${reportMarker("b")}\n### Plan for \`b\` ✅`);
    expect(stdout.slice(stdout.indexOf(reportMarker("b")))).not.toContain("Truncated");
    expect(stdout).toContain("Truncated");
    expect(GITHUB_COMMENT_LIMIT).toBe(65_536);
  });
});

describe("usage and input errors", () => {
  test.each([
    [[], "no plan given"],
    [["--bogus", "p.json"], 'unknown option "--bogus"'],
    [
      ["--allow", "no-such-rule", "p.json"],
      "--allow no-such-rule: no such guard rule; blocking rules: edgekv-namespace-destroyed",
    ],
    [["--allow", "iam-policy-actions-added", "p.json"], "that rule only warns"],
    [["--stack", "nameonly", "p.json"], "expected NAME=PLAN.json"],
    [["--max-chars", "70000", "p.json"], "--max-chars 70000: must be a whole number from 1000 to 65536"],
    [["--stack", "x=p.json", "--stack", "x=q.json"], 'stack "x" is given twice'],
    [["--out"], "--out needs a value"],
  ])("%j is a usage error (exit 64)", async (args, message) => {
    const { status, stderr } = await run(args);
    expect(status).toBe(64);
    expect(stderr).toContain(message);
    expect(stderr).toContain("usage: edgeplane plan-report");
  });

  test("input that is not a plan fails with exit 1 and says what was expected", async () => {
    const cases: Array<[string, string]> = [
      ["not json", "not JSON"],
      ["{}", 'no "format_version"'],
      [JSON.stringify({ format_version: "2.0" }), "format_version 2.0 is not supported"],
      [JSON.stringify({ format_version: "1.0", values: { root_module: {} } }), "this is a state, not a plan"],
      [
        JSON.stringify({ format_version: "1.2", resource_changes: [{ address: "x" }] }),
        'resource_changes[0] needs "address", "type" and "change.actions"',
      ],
    ];
    for (const [text, message] of cases) {
      const { status, stderr } = await run(["--stack", "s=in.json"], { "in.json": text });
      expect({ text, status }).toEqual({ text, status: 1 });
      expect(stderr).toContain(message);
    }
    const missing = cli(join(dir, "missing.json"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot read");
  });

  test("--help and --list-rules", async () => {
    const help = cli("--help");
    expect([help.status, help.stdout.split("\n")[0]]).toEqual([
      0,
      "usage: edgeplane plan-report [options] PLAN.json [PLAN.json ...]",
    ]);
    const rules = await run(["--list-rules"]);
    expect(
      rules.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t").slice(0, 2).join(" ")),
    ).toContain("edgekv-namespace-destroyed block");
    // Each line: id, severity and the rule's why.
    const lines = rules.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"));
    expect(lines.map((l) => l[0])).toEqual(RULES.map((r) => r.id));
    expect(lines.map((l) => l[2])).toEqual(RULES.map((r) => r.why));
  });
});
