import { Testing } from "cdktf";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Edgekv } from "../../.gen/providers/akamai/edgekv";
import { IamApiClient } from "../../.gen/providers/akamai/iam-api-client";
import { exampleEnv, resourcesOfType, synthEdgeStack, variantEnv } from "../helpers/synth";

const prod = synthEdgeStack(exampleEnv("prod"));
const dev = synthEdgeStack(exampleEnv("dev"));

describe("EdgeStack (prod example)", () => {
  test("is named edgeplane-<env> and pins both providers", () => {
    expect(prod.json.terraform.required_providers).toEqual({
      akamai: { source: "akamai/akamai", version: "~> 9.2" },
      aws: { source: "aws", version: "5.100.0" },
    });
    expect(prod.json.resource.aws_lambda_function).toBeDefined();
  });

  test("S3 backend is encrypted and locked with a lockfile; dev uses a relative local path", () => {
    expect(prod.json.terraform.backend.s3).toMatchObject({
      bucket: "example-org-edgeplane-tfstate",
      key: "edgeplane/prod.tfstate",
      encrypt: true,
      use_lockfile: true,
    });
    expect(dev.json.terraform.backend).toEqual({ local: { path: "terraform.edgeplane-dev.tfstate" } });
  });

  test("Akamai provider reads credentials from an env-var section, never values", () => {
    expect(prod.json.provider.akamai).toEqual([{ config_section: "EDGEPLANE_PROD" }]);
    expect(dev.json.provider.akamai).toEqual([{ config_section: "edgeplane-dev", edgerc: "~/.edgerc" }]);
  });
});

describe("PurgeApiClient", () => {
  test("CCU APIs READ-WRITE with purge options, plus EdgeKV, EdgeWorkers and its own credentials", () => {
    expect(prod.text).toHaveResourceWithProperties(IamApiClient, {
      client_name: "edgeplane-prod-purge",
      authorized_users: ["edgeplane-automation"],
      api_access: {
        all_accessible_apis: false,
        apis: [
          { api_id: 5580, access_level: "READ-WRITE" },
          { api_id: 7002, access_level: "READ-WRITE" },
          { api_id: 7003, access_level: "READ-WRITE" },
          { api_id: 5442, access_level: "CREDENTIAL-READ-WRITE" },
        ],
      },
      purge_options: {
        can_purge_by_cache_tag: true,
        can_purge_by_cp_code: true,
        cp_code_access: { all_current_and_new_cp_codes: false, cp_codes: [1000004, 1000005] },
      },
    });
  });

  test("runtime rotation can never show a diff: credential is ignored; protected envs prevent destroy", () => {
    const [prodClient] = resourcesOfType(prod.json, "akamai_iam_api_client");
    expect(prodClient.lifecycle).toEqual({ ignore_changes: ["credential"], prevent_destroy: true });
    const [devClient] = resourcesOfType(dev.json, "akamai_iam_api_client");
    expect(devClient.lifecycle).toEqual({ ignore_changes: ["credential"], prevent_destroy: false });
  });

  test('"all" CP codes maps to all_current_and_new_cp_codes with an empty list; IP ACL only when CIDRs are given', () => {
    const env = variantEnv("dev", (e) => {
      e.purgeApiClient.cpCodes = "all";
      e.purgeApiClient.ipAcl = ["203.0.113.0/24"];
    });
    const [client] = resourcesOfType(synthEdgeStack(env).json, "akamai_iam_api_client");
    expect(client.purge_options.cp_code_access).toEqual({ all_current_and_new_cp_codes: true, cp_codes: [] });
    expect(client.ip_acl).toEqual({ enable: true, cidr: ["203.0.113.0/24"] });
    expect(resourcesOfType(dev.json, "akamai_iam_api_client")[0].ip_acl).toBeUndefined();
  });
});

describe("EdgeKvNamespaces", () => {
  test("protected environments prevent destroying namespaces; geo_location is always explicit", () => {
    expect(prod.text).toHaveResourceWithProperties(Edgekv, {
      namespace_name: "site_config",
      network: "production",
      geo_location: "EU",
      lifecycle: { prevent_destroy: true },
    });
    expect(prod.text).toHaveResourceWithProperties(Edgekv, {
      namespace_name: "redirects",
      retention_in_seconds: 31536000,
      lifecycle: { prevent_destroy: true },
    });
    expect(dev.text).toHaveResourceWithProperties(Edgekv, {
      namespace_name: "dev_config",
      geo_location: "US",
      lifecycle: { prevent_destroy: false },
    });
  });

  test("namespaces keep stable addresses; group items depend on their namespace", () => {
    expect(Object.keys(prod.json.resource.akamai_edgekv).sort()).toEqual(["redirects_production", "site_config_production"]);
    const [items] = resourcesOfType(prod.json, "akamai_edgekv_group_items");
    expect(items).toMatchObject({ group_name: "flags", network: "production", items: { "new-header": "on" } });
    expect(items.depends_on).toEqual(["akamai_edgekv.site_config_production"]);
  });
});

describe("EdgeGridSecrets", () => {
  test("KMS key rotates; both secrets use it", () => {
    const [key] = resourcesOfType(prod.json, "aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    for (const secret of resourcesOfType(prod.json, "aws_secretsmanager_secret"))
      expect(secret.kms_key_id).toBe("${aws_kms_key.edgegrid.arn}");
  });

  test("Terraform writes a version only to the bootstrap secret, never to the rotating one", () => {
    const versions = resourcesOfType(prod.json, "aws_secretsmanager_secret_version");
    expect(versions).toHaveLength(1);
    expect(versions[0].secret_id).toBe("${aws_secretsmanager_secret.edgegrid_bootstrap.id}");
    expect(versions[0].secret_string).toContain("akamai_iam_api_client.purge_api_client.credential.client_secret");
  });

  test("rotation wiring: the rotating secret rotates with the rotation Lambda on the configured schedule", () => {
    expect(prod.text).toHaveResourceWithProperties(SecretsmanagerSecretRotation, {
      secret_id: "${aws_secretsmanager_secret.edgegrid_rotating.id}",
      rotation_rules: { schedule_expression: "rate(30 days)" },
    });
    const [permission] = resourcesOfType(prod.json, "aws_lambda_permission").filter(
      (p) => p.principal === "secretsmanager.amazonaws.com",
    );
    expect(permission.source_arn).toBe("${aws_secretsmanager_secret.edgegrid_rotating.arn}");
  });
});

describe("PurgeService", () => {
  test("both purge routes require AWS_IAM", () => {
    const routes = resourcesOfType(prod.json, "aws_apigatewayv2_route");
    expect(routes.map((r) => r.route_key).sort()).toEqual(["GET /purge/{jobId}", "POST /purge"]);
    for (const key of ["POST /purge", "GET /purge/{jobId}"]) {
      expect(prod.text).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: key, authorization_type: "AWS_IAM" });
    }
  });

  test("the stage throttles and writes access logs", () => {
    const [stage] = resourcesOfType(prod.json, "aws_apigatewayv2_stage");
    expect(stage.name).toBe("$default");
    expect(stage.default_route_settings).toEqual({ throttling_burst_limit: 20, throttling_rate_limit: 10 });
    expect(stage.access_log_settings.destination_arn).toMatch(/aws_cloudwatch_log_group\..*access-logs.*\.arn/);
  });

  test("the queue redrives to a DLQ, and a DLQ alarm goes to SNS", () => {
    expect(prod.text).toHaveResourceWithProperties(SqsQueue, { name: "edgeplane-prod-purge" });
    const queue = prod.json.resource.aws_sqs_queue.purge;
    // Receives are not the retry budget (the job record counts real attempts): the redrive is a safety net.
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: "${aws_sqs_queue.purge_dlq.arn}",
      maxReceiveCount: 100,
    });
    expect(queue.visibility_timeout_seconds * 100).toBeLessThan(queue.message_retention_seconds);
    const dlqAlarm = resourcesOfType(prod.json, "aws_cloudwatch_metric_alarm").find(
      (a) => a.metric_name === "ApproximateNumberOfMessagesVisible",
    );
    expect(dlqAlarm).toMatchObject({
      dimensions: { QueueName: "${aws_sqs_queue.purge_dlq.name}" },
      alarm_actions: ["${aws_sns_topic.aws-control-plane_alarms_topic_B2349CBF.arn}"],
    });
  });

  test("the worker may send to the DLQ only (it moves batches out of attempts there) and knows its URL", () => {
    const worker = resourcesOfType(prod.json, "aws_lambda_function").find(
      (f) => f.function_name === "edgeplane-prod-purge-worker",
    )!;
    expect(worker.environment.variables.EDGEPLANE_PURGE_DLQ_URL).toBe("${aws_sqs_queue.purge_dlq.url}");
    const statements = resourcesOfType(prod.json, "aws_iam_role_policy").flatMap((p) => JSON.parse(p.policy).Statement);
    const sends = statements.filter((s: { Action: string[] }) => [s.Action].flat().includes("sqs:SendMessage"));
    expect(sends.map((s: { Resource: string[] }) => s.Resource).sort()).toEqual([
      ["${aws_sqs_queue.purge.arn}"],
      ["${aws_sqs_queue.purge_dlq.arn}"],
    ]);
    expect(sends.find((s: { Sid: string }) => s.Sid === "DeadLetterBatches")).toMatchObject({ Action: ["sqs:SendMessage"] });
  });

  test("the worker has low reserved concurrency and reports partial batch failures", () => {
    expect(prod.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "edgeplane-prod-purge-worker",
      reserved_concurrent_executions: 2,
    });
    expect(prod.text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: 2 },
    });
  });

  test("the jobs table has TTL, point-in-time recovery, and deletion protection when protected", () => {
    const [table] = resourcesOfType(prod.json, "aws_dynamodb_table");
    expect(table).toMatchObject({
      hash_key: "jobId",
      range_key: "item",
      ttl: { attribute_name: "expiresAt", enabled: true },
      deletion_protection_enabled: true,
    });
    expect(resourcesOfType(dev.json, "aws_dynamodb_table")[0].deletion_protection_enabled).toBe(false);
  });

  test("every function has an errors alarm", () => {
    const alarmed = resourcesOfType(prod.json, "aws_cloudwatch_metric_alarm")
      .filter((a) => a.metric_name === "Errors")
      .map((a) => a.dimensions.FunctionName);
    expect(alarmed.sort()).toEqual([
      "edgeplane-prod-edgekv-tokens",
      "edgeplane-prod-purge-api",
      "edgeplane-prod-purge-worker",
      "edgeplane-prod-rotate-credentials",
    ]);
  });
});

describe("NodejsFunction", () => {
  test("nodejs22.x on arm64, JSON logs into a log group with the configured retention", () => {
    const functions = resourcesOfType(prod.json, "aws_lambda_function");
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], handler: "index.handler" });
      expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(fn.filename).toMatch(/^assets\/.+\.zip$/);
      expect(fn.logging_config.log_format).toBe("JSON");
    }
    const groups = resourcesOfType(prod.json, "aws_cloudwatch_log_group");
    expect(groups.length).toBeGreaterThanOrEqual(5);
    for (const group of groups) expect(group.retention_in_days).toBe(90);
  });

  test("points at the real entry files", () => {
    const names = resourcesOfType(prod.json, "aws_lambda_function").map((f) => f.filename.split("/").pop());
    expect(names.sort()).toEqual(["edgekv-tokens.zip", "purge-api.zip", "purge-worker.zip", "rotate-credentials.zip"]);
  });
});

describe("CredentialRotation and EdgeKvTokenManager", () => {
  test("the token manager runs on an EventBridge Scheduler schedule with its own invoke-only role", () => {
    expect(prod.text).toHaveResourceWithProperties(SchedulerSchedule, {
      schedule_expression: "cron(0 6 * * ? *)",
      flexible_time_window: { mode: "OFF" },
    });
    const [schedule] = resourcesOfType(prod.json, "aws_scheduler_schedule");
    expect(schedule.target.arn).toMatch(/aws_lambda_function\..*edgekv-tokens.*\.arn/);
    const policy = resourcesOfType(prod.json, "aws_iam_role_policy").find((p) => p.name === "invoke-token-manager")!;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      expect.objectContaining({ Action: ["lambda:InvokeFunction"], Resource: [schedule.target.arn] }),
    ]);
  });

  test("the rotation Lambda knows the bootstrap secret and Terraform's credential id, and runs one at a time", () => {
    const rotation = resourcesOfType(prod.json, "aws_lambda_function").find(
      (f) => f.function_name === "edgeplane-prod-rotate-credentials",
    )!;
    expect(rotation.reserved_concurrent_executions).toBe(1);
    expect(rotation.environment.variables.EDGEPLANE_BOOTSTRAP_SECRET_ARN).toBe(
      "${aws_secretsmanager_secret.edgegrid_bootstrap.arn}",
    );
    expect(rotation.environment.variables.EDGEPLANE_TERRAFORM_CREDENTIAL_ID).toBe(
      "${tostring(akamai_iam_api_client.purge_api_client.credential.credential_id)}",
    );
  });

  test("the tokens bucket is versioned, KMS-encrypted, private and TLS-only", () => {
    expect(resourcesOfType(prod.json, "aws_s3_bucket_versioning")[0].versioning_configuration.status).toBe("Enabled");
    expect(resourcesOfType(prod.json, "aws_s3_bucket_public_access_block")[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const tlsOnly = JSON.parse(resourcesOfType(prod.json, "aws_s3_bucket_policy")[0].policy);
    expect(tlsOnly.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });
});

describe("CiAccess", () => {
  const trust = (json: Record<string, any>) => {
    const role = resourcesOfType(json, "aws_iam_role").find((r) => r.name.endsWith("-ci-purge"))!;
    return JSON.parse(role.assume_role_policy).Statement[0];
  };

  test("creates the GitHub OIDC provider, trusted only for the configured repo refs and environments", () => {
    expect(resourcesOfType(prod.json, "aws_iam_openid_connect_provider")).toEqual([
      expect.objectContaining({ url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] }),
    ]);
    expect(trust(prod.json).Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: {
        "token.actions.githubusercontent.com:sub": [
          "repo:example-org/web-platform:ref:refs/heads/main",
          "repo:example-org/web-platform:environment:production",
        ],
      },
    });
  });

  test("references an existing OIDC provider by ARN instead of creating one", () => {
    const arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
    const json = synthEdgeStack(variantEnv("dev", (e) => (e.ciAccess.existingOidcProviderArn = arn))).json;
    expect(resourcesOfType(json, "aws_iam_openid_connect_provider")).toHaveLength(0);
    expect(trust(json).Principal).toEqual({ Federated: arn });
  });

  test("may only invoke this environment's two purge routes", () => {
    const policy = resourcesOfType(prod.json, "aws_iam_role_policy").find((p) => p.name === "invoke-purge-routes")!;
    const api = "${aws_apigatewayv2_api.aws-control-plane_purge_api_C10C1D23.execution_arn}";
    const stage = "${aws_apigatewayv2_stage.aws-control-plane_purge_stage_6AFD4C9E.name}";
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "InvokePurgeRoutes",
        Effect: "Allow",
        Action: ["execute-api:Invoke"],
        Resource: [`${api}/${stage}/POST/purge`, `${api}/${stage}/GET/purge/*`],
      },
    ]);
  });
});

describe("least privilege and secrets, across every example stack", () => {
  const stacks = (["dev", "staging", "prod"] as const).map((name) => ({ name, ...synthEdgeStack(exampleEnv(name)) }));

  test.each(stacks.map((s) => [s.name, s] as const))(
    "%s: no Allow statement has a wildcard action or a '*' resource",
    (_name, stack) => {
      const documents = [
        ...resourcesOfType(stack.json, "aws_iam_role_policy").map((p) => p.policy),
        ...resourcesOfType(stack.json, "aws_iam_role").map((r) => r.assume_role_policy),
      ];
      expect(documents.length).toBeGreaterThan(8);
      for (const doc of documents) {
        for (const statement of JSON.parse(doc).Statement) {
          if (statement.Effect !== "Allow") continue;
          for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
          for (const resource of [statement.Resource ?? []].flat()) expect(resource).not.toBe("*");
        }
      }
      expect(resourcesOfType(stack.json, "aws_iam_role_policy_attachment")).toHaveLength(0); // no broad managed policies
    },
  );

  test.each(stacks.map((s) => [s.name, s] as const))(
    "%s: no secret value appears anywhere in the synthesized JSON",
    (_name, stack) => {
      // EdgeGrid secrets are 44-char base64; client/access tokens look like akab-…; AWS secret keys are 40 chars.
      const withoutCodeHashes = stack.text.replace(/"source_code_hash": "[^"]*"/g, "");
      expect(withoutCodeHashes).not.toMatch(/"[A-Za-z0-9+/]{43}="/);
      expect(stack.text).not.toMatch(/akab-[a-z0-9]{16}-[a-z0-9]{16}/);
      expect(stack.text).not.toMatch(/(client_secret|access_token|client_token|secret_key)"\s*:\s*"(?!\$\{)/);
      for (const fn of resourcesOfType(stack.json, "aws_lambda_function")) {
        for (const [name, value] of Object.entries<string>(fn.environment.variables)) {
          expect(name).not.toMatch(/SECRET$|TOKEN$|PASSWORD/);
          expect(value).not.toMatch(/client_secret|clientSecret/);
        }
      }
    },
  );
});

test("Testing.synth output is stable for the same config (no timestamps, random ids or absolute paths)", () => {
  const again = synthEdgeStack(exampleEnv("prod"));
  expect(again.text).toBe(prod.text);
  expect(prod.text).not.toContain(process.cwd());
  expect(Testing).toBeDefined();
});
