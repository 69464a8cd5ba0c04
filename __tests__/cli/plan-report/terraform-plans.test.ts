/**
 * plan-report on real plans that Terraform makes offline for the AWS side of the example dev stack
 * (__tests__/terraform/aws-only-stack.ts): create; update in place, replace and destroy; dangerous changes
 * the guard rules must catch; and destroying everything. Counts are checked against `terraform show -json`
 * and against the summary line Terraform itself prints for the saved plan.
 *
 * How the later plans get a prior state without AWS: nothing can be applied here, so the state an apply
 * would have written is built from the create plan (planned values, plus placeholders for ids and ARNs that
 * only AWS assigns) and settled with `plan -refresh=false` until Terraform plans no change against it
 * (helpers/prior-state.ts). Each scenario then changes that state (as if the infrastructure had been applied
 * from an older configuration) or the configuration (as a pull request would), and plans again with
 * `-refresh=false`, so Terraform compares configuration with the state alone and never calls AWS.
 */
import { App } from "cdktf";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planReport } from "../../../cli/plan-report/command";
import type { PlanReportSummary } from "../../../cli/plan-report/summary";
import type { EnvironmentConfig } from "../../../config/schema";
import { exampleEnv, variantEnv } from "../../helpers/synth";
import { describeWithTerraform, offlineTerraformEnv, terraformAsync, terraformInit } from "../../helpers/terraform";
import { AwsOnlyStack } from "../../terraform/aws-only-stack";
import { type ProviderSchemas, type TerraformState, findResource, settleState, stateFromCreatePlan } from "./helpers/prior-state";

interface Planned {
  /** `terraform show -json` of the saved plan, as a file plan-report reads. */
  file: string;
  json: {
    resource_changes?: Array<{
      address: string;
      type: string;
      name: string;
      action_reason?: string;
      change: { actions: string[]; replace_paths?: unknown };
    }>;
  };
  /** The summary line of `terraform show` for the saved plan ("Plan: 1 to add, …" or "No changes."). */
  terraformLine: string;
}

const BOOTSTRAP_PLACEHOLDER = JSON.stringify({ host: "akab-bootstrap-never-printed.luna.akamaiapis.net" });
const LOG_GROUP = "aws_cloudwatch_log_group.aws-control-plane_purge_api-function_logs_03CF1C6B";
const SUBSCRIPTION = "aws_sns_topic_subscription.aws-control-plane_alarms_email_DBB9ACA5";
const ROUTE_POST = "aws-control-plane_purge_route-post_83707030";
const WORKER_POLICY = "aws-control-plane_purge_worker-function_policy_DA6728DC";

async function report(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const status = await planReport(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: (p) => readFileSync(p, "utf8"),
    writeFile: () => undefined,
  });
  return { status, stdout, stderr };
}

/** Counts the way the report defines them, straight from Terraform's JSON. */
function countsOf(planned: Planned) {
  const actions = (planned.json.resource_changes ?? []).map((c) => c.change.actions.join(","));
  return {
    add: actions.filter((a) => a === "create").length,
    change: actions.filter((a) => a === "update").length,
    destroy: actions.filter((a) => a === "delete").length,
    replace: actions.filter((a) => a === "delete,create" || a === "create,delete").length,
  };
}

const changed = (planned: Planned) =>
  (planned.json.resource_changes ?? [])
    .filter((c) => c.change.actions.join() !== "no-op")
    .map((c) => `${c.change.actions.join(",")} ${c.address}`)
    .sort();

describeWithTerraform("plan-report on real offline plans of the dev stack's AWS side", () => {
  const root = mkdtempSync(join(tmpdir(), "edgeplane-plan-report-tf-"));
  const env = offlineTerraformEnv({ TF_VAR_bootstrap_credential: BOOTSTRAP_PLACEHOLDER });
  const dev = exampleEnv("dev");
  let baseDir: string;
  let create: Planned;
  let settled: Planned;
  let settlePasses = 0;
  let baseline: TerraformState;
  let updateReplaceDestroy: Planned;
  let dangerous: Planned;
  let destroyAll: Planned;

  const synth = (config: EnvironmentConfig, name: string): string => {
    const outdir = join(root, name);
    const app = new App({ outdir });
    new AwsOnlyStack(app, config);
    app.synth();
    const dir = join(outdir, "stacks", `aws-only-${config.name}`);
    terraformInit(dir, env);
    return dir;
  };
  /** A copy of a stack directory (configuration, assets, state), initialized like the original. */
  const copyOf = (dir: string, name: string): string => {
    const copy = join(root, name);
    cpSync(dir, copy, { recursive: true, filter: (source) => !source.endsWith("/.terraform") });
    terraformInit(copy, env);
    return copy;
  };
  const plan = async (dir: string, name: string, extra: string[] = []): Promise<Planned> => {
    // Terraform prints the same summary line for the plan it saves as `terraform show <planfile>` does.
    const human = await terraformAsync(
      ["plan", "-input=false", "-no-color", "-refresh=false", `-out=${name}.tfplan`, ...extra],
      dir,
      env,
    );
    const text = await terraformAsync(["show", "-json", `${name}.tfplan`], dir, env);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    const line = human.split("\n").find((l) => /^(Plan: |No changes\.)/.test(l.trim()));
    if (!line) throw new Error(`no summary line in the output of terraform plan:\n${human.slice(-2000)}`);
    return { file, json: JSON.parse(text), terraformLine: line.trim().startsWith("No changes.") ? "No changes." : line.trim() };
  };
  const writeState = (dir: string, state: TerraformState) =>
    writeFileSync(join(dir, "terraform.tfstate"), JSON.stringify(state, null, 1));

  beforeAll(async () => {
    baseDir = synth(dev, "base");
    const [created, schemaText] = await Promise.all([
      plan(baseDir, "create"),
      terraformAsync(["providers", "schema", "-json"], baseDir, env),
    ]);
    create = created;

    // The state an apply of the create plan would have left, settled until Terraform agrees with it.
    const schemas = JSON.parse(schemaText) as ProviderSchemas;
    const version = (create.json as { terraform_version?: string }).terraform_version ?? "1.11.4";
    const state = stateFromCreatePlan(create.json as never, schemas, dev.aws.region, version);
    for (;;) {
      writeState(baseDir, state);
      settled = await plan(baseDir, "settle");
      if (settleState(state, settled.json as never) === 0 || ++settlePasses > 4) break;
    }
    baseline = structuredClone(state);

    // The three scenarios below are independent: each plans in its own directory, side by side.
    // Applied from an older configuration: 7-day log retention, another alarm address, a queue since removed.
    const older = structuredClone(baseline);
    findResource(older, "aws_cloudwatch_log_group", LOG_GROUP.split(".")[1]!).instances[0]!.attributes.retention_in_days = 7;
    findResource(older, "aws_sns_topic_subscription", SUBSCRIPTION.split(".")[1]!).instances[0]!.attributes.endpoint =
      "old-alarms@example.com";
    const legacy = structuredClone(findResource(older, "aws_sqs_queue", "purge_dlq"));
    legacy.name = "legacy_purge";
    Object.assign(legacy.instances[0]!.attributes, {
      name: "edgeplane-dev-purge-legacy",
      id: "https://sqs.eu-west-1.amazonaws.com/111111111111/edgeplane-dev-purge-legacy",
      url: "https://sqs.eu-west-1.amazonaws.com/111111111111/edgeplane-dev-purge-legacy",
      arn: "arn:aws:sqs:eu-west-1:111111111111:edgeplane-dev-purge-legacy",
    });
    older.resources.push(legacy);
    const olderDir = copyOf(baseDir, "older");
    writeState(olderDir, older);

    // A pull request that allows production purges, opens the POST route and gives the worker sqs:* on
    // everything, against infrastructure whose bootstrap secret had another name (so it is replaced).
    const variantDir = synth(
      variantEnv("dev", (e) => {
        e.purgePolicy.allowedNetworks = ["staging", "production"];
      }),
      "variant",
    );
    const configFile = join(variantDir, "cdk.tf.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    config.resource.aws_apigatewayv2_route[ROUTE_POST].authorization_type = "NONE";
    const policy = JSON.parse(config.resource.aws_iam_role_policy[WORKER_POLICY].policy);
    policy.Statement.push({ Sid: "Everything", Effect: "Allow", Action: ["sqs:*"], Resource: ["*"] });
    config.resource.aws_iam_role_policy[WORKER_POLICY].policy = JSON.stringify(policy);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const renamed = structuredClone(baseline);
    findResource(renamed, "aws_secretsmanager_secret", "edgegrid_bootstrap").instances[0]!.attributes.name =
      "edgeplane/dev/edgegrid-bootstrap-v0";
    writeState(variantDir, renamed);

    writeState(baseDir, baseline);
    [updateReplaceDestroy, dangerous, destroyAll] = await Promise.all([
      plan(olderDir, "update-replace-destroy"),
      plan(variantDir, "dangerous"),
      plan(baseDir, "destroy", ["-destroy"]),
    ]);
  }, 420_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("create: the report's counts match terraform show -json and Terraform's own summary; nothing is flagged", async () => {
    const counts = countsOf(create);
    expect(counts.add).toBeGreaterThan(40);
    expect(counts).toEqual({ add: create.json.resource_changes!.length, change: 0, destroy: 0, replace: 0 });
    const json = await report(["--stack", `edgeplane-dev=${create.file}`, "--json"]);
    const summary = JSON.parse(json.stdout) as PlanReportSummary;
    expect(json.status).toBe(0);
    expect(summary.stacks[0]!.counts).toMatchObject(counts);
    expect(summary.stacks[0]!.terraform).toBe(create.terraformLine);
    // Policies and the purge policy are unknown until apply; the rules read them from the configuration.
    expect(summary.stacks[0]!.findings).toEqual([]);

    const md = await report(["--stack", `edgeplane-dev=${create.file}`]);
    expect(md.stdout).toContain(
      `**${counts.add} to add · 0 to change · 0 to destroy · 0 to replace** (Terraform: \`${create.terraformLine}\`)`,
    );
    expect(md.stdout).toContain(`<details><summary>All ${counts.add} changes</summary>`);
    // The bootstrap credential is in the plan JSON (variables, secret_string) but never in the report.
    expect(readFileSync(create.file, "utf8")).toContain("akab-bootstrap-never-printed");
    expect(md.stdout).not.toContain("akab-bootstrap-never-printed");
    expect(md.stdout).toMatch(/`secret_string` = `\(sensitive value\)`/);
  });

  test("the prior state is one Terraform agrees with: a plan against it changes nothing", () => {
    expect(settlePasses).toBeLessThanOrEqual(4);
    expect(changed(settled)).toEqual([]);
    expect(settled.terraformLine).toBe("No changes.");
  });

  test("update in place, replace and destroy: listed destroys and replacements first, counts as Terraform's", async () => {
    expect(changed(updateReplaceDestroy)).toEqual(
      [`delete aws_sqs_queue.legacy_purge`, `delete,create ${SUBSCRIPTION}`, `update ${LOG_GROUP}`].sort(),
    );
    const counts = countsOf(updateReplaceDestroy);
    expect(counts).toEqual({ add: 0, change: 1, destroy: 1, replace: 1 });
    expect(updateReplaceDestroy.terraformLine).toBe("Plan: 1 to add, 1 to change, 2 to destroy.");

    const { status, stdout } = await report([updateReplaceDestroy.file]);
    expect(status).toBe(0);
    expect(stdout).toContain("### Plan for `update-replace-destroy` ✅");
    expect(stdout).toContain(
      "**0 to add · 1 to change · 1 to destroy · 1 to replace** (Terraform: `Plan: 1 to add, 1 to change, 2 to destroy.`)",
    );
    const section = stdout.slice(stdout.indexOf("#### Destroyed and replaced"), stdout.indexOf("<details>"));
    expect(section.trim().split("\n").slice(2)).toEqual([
      "- 🗑️ **destroy** `aws_sqs_queue.legacy_purge`: removed from the configuration",
      `- ♻️ **replace** \`${SUBSCRIPTION}\`, forced by \`endpoint\` (\`"old-alarms@example.com"\` → \`"platform-dev@example.com"\`)`,
    ]);
    expect(stdout).toContain("  - `retention_in_days`: `7` → `14`");
    expect(stdout).toContain(
      '  - `endpoint`: `"old-alarms@example.com"` → `"platform-dev@example.com"` **(forces replacement)**',
    );
  });

  test("dangerous changes in a real plan: each guard rule names the resource, and the report blocks until allowed", async () => {
    const json = await report(["--stack", `edgeplane-dev=${dangerous.file}`, "--json"]);
    expect(json.status).toBe(2);
    const summary = JSON.parse(json.stdout) as PlanReportSummary;
    expect(summary.stacks[0]!.counts).toMatchObject(countsOf(dangerous));
    expect(summary.stacks[0]!.terraform).toBe(dangerous.terraformLine);
    const found = summary.stacks[0]!.findings.map((f) => `${f.ruleId} ${f.address}`).sort();
    expect(found).toEqual(
      [
        "iam-policy-actions-added aws_iam_role_policy.aws-control-plane_purge_worker-function_policy_DA6728DC",
        "iam-policy-wildcard aws_iam_role_policy.aws-control-plane_purge_worker-function_policy_DA6728DC",
        "production-purge-allowed aws_lambda_function.aws-control-plane_purge_api-function_4ADC259A",
        "production-purge-allowed aws_lambda_function.aws-control-plane_purge_worker-function_FC2270A9",
        `purge-route-auth-removed aws_apigatewayv2_route.${ROUTE_POST}`,
        "secret-or-key-deleted aws_secretsmanager_secret.edgegrid_bootstrap",
      ].sort(),
    );
    const details = Object.fromEntries(summary.stacks[0]!.findings.map((f) => [f.ruleId, f.detail]));
    expect(details["iam-policy-wildcard"]).toBe('gains Action "sqs:*" on "*"');
    expect(details["purge-route-auth-removed"]).toBe('route "POST /purge" loses AWS_IAM authorization (now "NONE")');
    expect(details["secret-or-key-deleted"]).toBe(
      'secret "edgeplane/dev/edgegrid-bootstrap-v0" is replaced (the old one is deleted): forced by name ("edgeplane/dev/edgegrid-bootstrap-v0" → "edgeplane/dev/edgegrid-bootstrap")',
    );
    // The rotation policy names the replaced secret's new ARN, so Terraform knows it only after apply; the
    // rules read it from the configuration and find nothing new there.
    const rotationPolicy = dangerous.json.resource_changes!.find(
      (c) => c.address === "aws_iam_role_policy.aws-control-plane_rotation_function_policy_B0CE0DF6",
    );
    expect(rotationPolicy?.change.actions).toEqual(["update"]);

    const allowed = await report([
      "--stack",
      `edgeplane-dev=${dangerous.file}`,
      ...["iam-policy-wildcard", "production-purge-allowed", "purge-route-auth-removed", "secret-or-key-deleted"].flatMap(
        (id) => ["--allow", id],
      ),
    ]);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain("> ☑️ Acknowledged:");
  });

  test("destroying everything: all resources listed as destroyed, secrets and the KMS key flagged", async () => {
    const counts = countsOf(destroyAll);
    expect(counts).toEqual({ add: 0, change: 0, destroy: baseline.resources.length, replace: 0 });
    expect(destroyAll.terraformLine).toBe(`Plan: 0 to add, 0 to change, ${baseline.resources.length} to destroy.`);
    const { status, stdout } = await report(["--stack", `edgeplane-dev=${destroyAll.file}`, "--json"]);
    expect(status).toBe(2);
    const summary = JSON.parse(stdout) as PlanReportSummary;
    expect(summary.stacks[0]!.terraform).toBe(destroyAll.terraformLine);
    expect(summary.stacks[0]!.destroyed).toHaveLength(baseline.resources.length);
    expect(summary.stacks[0]!.findings.map((f) => `${f.ruleId} ${f.address}`).sort()).toEqual([
      "secret-or-key-deleted aws_kms_key.edgegrid",
      "secret-or-key-deleted aws_secretsmanager_secret.edgegrid_bootstrap",
      "secret-or-key-deleted aws_secretsmanager_secret.edgegrid_rotating",
    ]);
  });
});
