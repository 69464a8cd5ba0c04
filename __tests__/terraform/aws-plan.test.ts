/**
 * Real Terraform on the AWS side of the prod example: init from the offline mirror, validate, plan, and
 * assertions on `terraform show -json` of the saved plan.
 */
import { App } from "cdktf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithTerraform, offlineTerraformEnv, terraformAsync, terraformInit } from "../helpers/terraform";
import { exampleEnv } from "../helpers/synth";
import { AwsOnlyStack } from "./aws-only-stack";

describeWithTerraform("terraform init / validate / plan of the AWS constructs (prod example, offline)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "edgeplane-tf-"));
  const stackDir = join(outdir, "stacks", "aws-only-prod");
  // A placeholder credential shape for the plan; it goes in through a sensitive variable, never into JSON.
  const env = offlineTerraformEnv({ TF_VAR_bootstrap_credential: JSON.stringify({ host: "akab-placeholder.luna.akamaiapis.net" }) });
  let plan: {
    resource_changes: Array<{ address: string; type: string; change: { actions: string[]; after: Record<string, any> } }>;
    configuration: { root_module: { resources: Array<{ address: string; expressions: Record<string, any> }> } };
  };
  let validateOutput: string;

  beforeAll(async () => {
    const app = new App({ outdir });
    new AwsOnlyStack(app, exampleEnv("prod"));
    app.synth();
    terraformInit(stackDir, env);
    // Validate and plan read the same configuration independently: side by side.
    [validateOutput] = await Promise.all([
      terraformAsync(["validate", "-no-color"], stackDir, env),
      terraformAsync(["plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.tfplan"], stackDir, env),
    ]);
    plan = JSON.parse(await terraformAsync(["show", "-json", "plan.tfplan"], stackDir, env));
  }, 240_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const changesOf = (type: string) => plan.resource_changes.filter((c) => c.type === type);

  test("terraform validate accepts the configuration", () => {
    expect(validateOutput).toContain("Success! The configuration is valid.");
  });

  test("the plan only creates resources, including every AWS resource the stack needs", () => {
    expect(plan.resource_changes.length).toBeGreaterThan(40);
    for (const change of plan.resource_changes) expect(change.change.actions).toEqual(["create"]);
    const types = new Set(plan.resource_changes.map((c) => c.type));
    for (const type of [
      "aws_apigatewayv2_route",
      "aws_sqs_queue",
      "aws_secretsmanager_secret_rotation",
      "aws_scheduler_schedule",
      "aws_lambda_function",
      "aws_iam_openid_connect_provider",
      "aws_kms_key",
      "aws_dynamodb_table",
    ]) {
      expect(types).toContain(type);
    }
  });

  test("both routes are planned with AWS_IAM authorization", () => {
    const routes = changesOf("aws_apigatewayv2_route").map((c) => [c.change.after.route_key, c.change.after.authorization_type]);
    expect(routes.sort()).toEqual([
      ["GET /purge/{jobId}", "AWS_IAM"],
      ["POST /purge", "AWS_IAM"],
    ]);
  });

  test("the worker keeps its low reserved concurrency; functions run nodejs22.x on arm64", () => {
    const functions: Record<string, Record<string, any>> = Object.fromEntries(changesOf("aws_lambda_function").map((c) => [c.change.after.function_name, c.change.after]));
    expect(functions["edgeplane-prod-purge-worker"]!.reserved_concurrent_executions).toBe(2);
    expect(functions["edgeplane-prod-rotate-credentials"]!.reserved_concurrent_executions).toBe(1);
    for (const fn of Object.values(functions)) expect([fn.runtime, fn.architectures]).toEqual(["nodejs22.x", ["arm64"]]);
  });

  test("the purge queue redrives to the DLQ (the ARN is known only after apply)", () => {
    const queue = changesOf("aws_sqs_queue").find((c) => c.address === "aws_sqs_queue.purge");
    const dlq = changesOf("aws_sqs_queue").find((c) => c.address === "aws_sqs_queue.purge_dlq");
    expect(queue!.change.after.name).toBe("edgeplane-prod-purge");
    expect(dlq!.change.after.message_retention_seconds).toBe(1209600);
    const unknown = (queue!.change as unknown as { after_unknown: Record<string, unknown> }).after_unknown;
    expect(unknown.redrive_policy).toBe(true);
    const configured = plan.configuration.root_module.resources.find((r) => r.address === "aws_sqs_queue.purge");
    expect(configured!.expressions.redrive_policy.references).toContain("aws_sqs_queue.purge_dlq.arn");
    expect(queue!.change.after.visibility_timeout_seconds).toBe(720);
  });

  test("the rotating secret is planned without any version; only the bootstrap secret gets one, marked sensitive", () => {
    const versions = changesOf("aws_secretsmanager_secret_version");
    expect(versions.map((v) => v.address)).toEqual(["aws_secretsmanager_secret_version.aws-control-plane_edgegrid-secrets_bootstrap-version_BE6D1783"]);
    const sensitive = (versions[0]!.change as unknown as { after_sensitive: Record<string, unknown> }).after_sensitive;
    expect(sensitive.secret_string).toBe(true);
  });
});
