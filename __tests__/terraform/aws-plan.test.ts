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
  const env = offlineTerraformEnv({
    TF_VAR_bootstrap_credential: JSON.stringify({ host: "akab-placeholder.luna.akamaiapis.net" }),
  });
  let plan: {
    resource_changes: Array<{ address: string; type: string; change: { actions: string[]; after: Record<string, any> } }>;
    output_changes: Record<string, { actions: string[]; after_unknown: boolean }>;
    configuration: {
      root_module: {
        resources: Array<{ address: string; expressions: Record<string, any> }>;
        outputs: Record<string, { expression: { references: string[] } }>;
      };
    };
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
    const functions: Record<string, Record<string, any>> = Object.fromEntries(
      changesOf("aws_lambda_function").map((c) => [c.change.after.function_name, c.change.after]),
    );
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
    expect(versions.map((v) => v.address)).toEqual([
      "aws_secretsmanager_secret_version.aws-control-plane_edgegrid-secrets_bootstrap-version_BE6D1783",
    ]);
    const sensitive = (versions[0]!.change as unknown as { after_sensitive: Record<string, unknown> }).after_sensitive;
    expect(sensitive.secret_string).toBe(true);
  });

  describe("the CDN targets of the prod example (Akamai, Fastly, Cloudflare, CloudFront)", () => {
    const FASTLY = "aws_secretsmanager_secret.cdn_token_fastly_SU1Z0isxPaozGVKXdv0eY";
    const CLOUDFLARE = "aws_secretsmanager_secret.cdn_token_cloudflare_023e105f4ecef8ad9ca31a8372d0c353";
    const configured = (address: string) => plan.configuration.root_module.resources.find((r) => r.address === address)!;

    test("a token secret per Fastly / Cloudflare target is planned empty, named, with the recovery window, encrypted with the environment's key", () => {
      const secrets = Object.fromEntries(changesOf("aws_secretsmanager_secret").map((c) => [c.address, c.change.after]));
      expect(secrets[FASTLY]).toMatchObject({
        name: "edgeplane/prod/cdn-token/fastly/SU1Z0isxPaozGVKXdv0eY",
        recovery_window_in_days: 30,
      });
      expect(secrets[CLOUDFLARE]).toMatchObject({
        name: "edgeplane/prod/cdn-token/cloudflare/023e105f4ecef8ad9ca31a8372d0c353",
        recovery_window_in_days: 30,
      });
      for (const address of [FASTLY, CLOUDFLARE])
        expect(configured(address).expressions.kms_key_id.references).toContain("aws_kms_key.edgegrid.arn");
      // No version for them: Terraform never holds a token.
      expect(changesOf("aws_secretsmanager_secret_version")).toHaveLength(1);
    });

    test("the worker's policy refers to exactly these secrets; the token job's as well; the outputs carry their ARNs", () => {
      const policyRefs = (fn: string) => {
        const policy = plan.configuration.root_module.resources.find(
          (r) => r.address.startsWith("aws_iam_role_policy.") && r.address.includes(fn) && r.expressions.policy,
        )!;
        return (policy.expressions.policy.references as string[]).filter(
          (ref) => ref.startsWith("aws_secretsmanager_secret.") && ref.endsWith(".arn"),
        );
      };
      expect(policyRefs("purge_worker-function").sort()).toEqual([
        `${CLOUDFLARE}.arn`,
        `${FASTLY}.arn`,
        "aws_secretsmanager_secret.edgegrid_rotating.arn",
      ]);
      expect(policyRefs("purge_api-function")).toEqual(["aws_secretsmanager_secret.edgegrid_rotating.arn"]);
      expect(policyRefs("edgekv-tokens_function").sort()).toEqual([
        `${CLOUDFLARE}.arn`,
        `${FASTLY}.arn`,
        "aws_secretsmanager_secret.edgegrid_rotating.arn",
      ]);
      for (const [output, secret] of [
        ["cdn_token_secret_fastly_SU1Z0isxPaozGVKXdv0eY", FASTLY],
        ["cdn_token_secret_cloudflare_023e105f4ecef8ad9ca31a8372d0c353", CLOUDFLARE],
      ] as const) {
        expect(plan.output_changes[output]).toMatchObject({ actions: ["create"], after_unknown: true });
        expect(plan.configuration.root_module.outputs[output]!.expression.references).toContain(`${secret}.arn`);
      }
    });

    test("purge-api and purge-worker are planned with EDGEPLANE_CDNS (naming both secrets); no IAM user or access key is planned", () => {
      // The policies and variables hold secret ARNs, known only after apply: the plan shows their references. The exact
      // statements (CloudFront on the one distribution ARN) are checked on the synthesized JSON (cdn-purge-targets.test.ts).
      const functions = Object.fromEntries(changesOf("aws_lambda_function").map((c) => [c.change.after.function_name ?? "", c]));
      for (const name of ["edgeplane-prod-purge-api", "edgeplane-prod-purge-worker"]) {
        const variables = configured(functions[name]!.address).expressions.environment[0].variables;
        expect(variables.references).toEqual(expect.arrayContaining([`${FASTLY}.arn`, `${CLOUDFLARE}.arn`]));
      }
      for (const name of ["edgeplane-prod-rotate-credentials"]) {
        const variables = configured(functions[name]!.address).expressions.environment[0].variables;
        expect(variables.references ?? []).not.toContain(`${FASTLY}.arn`);
      }
      expect(changesOf("aws_iam_user")).toEqual([]);
      expect(changesOf("aws_iam_access_key")).toEqual([]);
    });
  });
});
