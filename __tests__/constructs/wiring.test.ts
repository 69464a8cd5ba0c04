/**
 * Constructs own their wiring: NodejsFunction gives every function the common environment, EdgeGridSecrets
 * grants a credential in one call (policy, KMS, variable), and every optional prop says its default.
 */
import { Testing, TerraformStack } from "cdktf";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { AlarmTopic } from "../../constructs/aws/alarm-topic";
import { NodejsFunction } from "../../constructs/aws/nodejs-function";
import { exampleEnv, resourcesOfType, synthEdgeStack } from "../helpers/synth";

const prod = synthEdgeStack(exampleEnv("prod"));
const functions = resourcesOfType(prod.json, "aws_lambda_function");
const byName = (suffix: string) => functions.find((f) => f.function_name === `edgeplane-prod-${suffix}`)!;
/** The inline policy of a function's role, as statements keyed by Sid. */
function statementsOf(fn: Record<string, any>): Record<string, any> {
  const roleRef = fn.role.replace(/\.arn\}$/, ".id}");
  const policy = resourcesOfType(prod.json, "aws_iam_role_policy").find((p) => p.role === roleRef)!;
  return Object.fromEntries(JSON.parse(policy.policy).Statement.map((s: { Sid: string }) => [s.Sid, s]));
}

const ROTATING = "${aws_secretsmanager_secret.edgegrid_rotating.arn}";
const BOOTSTRAP = "${aws_secretsmanager_secret.edgegrid_bootstrap.arn}";
const KEY = "${aws_kms_key.edgegrid.arn}";
const VIA_SECRETS_MANAGER = { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } };

test("every function gets the common environment from NodejsFunction: environment, service (its entry folder), metrics namespace", () => {
  expect(functions).toHaveLength(4);
  for (const fn of functions) {
    const service = fn.function_name.replace("edgeplane-prod-", "");
    expect(fn.environment.variables).toMatchObject({
      EDGEPLANE_ENVIRONMENT: "prod",
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_METRICS_NAMESPACE: "edgeplane",
    });
  }
});

test.each(["purge-api", "purge-worker", "edgekv-tokens"])(
  "%s reads the rotating credential through EdgeGridSecrets.grantRead",
  (suffix) => {
    const fn = byName(suffix);
    expect(prod.json.provider.aws[0].region).toBe("eu-west-1");
    expect(fn.environment.variables.EDGEPLANE_EDGEGRID_SECRET_ARN).toBe(ROTATING);
    expect(fn.environment.variables.EDGEPLANE_BOOTSTRAP_SECRET_ARN).toBeUndefined();
    const statements = statementsOf(fn);
    expect(statements.ReadEdgeGridCredential).toEqual({
      Sid: "ReadEdgeGridCredential",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [ROTATING],
    });
    expect(statements.DecryptEdgeGridCredential).toEqual({
      Sid: "DecryptEdgeGridCredential",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KEY],
      Condition: VIA_SECRETS_MANAGER,
    });
    // Nothing else touches the secrets.
    const others = Object.values(statements).filter(
      (s: any) => !["ReadEdgeGridCredential", "DecryptEdgeGridCredential"].includes(s.Sid),
    );
    expect(others.flatMap((s: any) => s.Resource)).not.toContain(ROTATING);
    expect(others.flatMap((s: any) => s.Resource)).not.toContain(BOOTSTRAP);
  },
);

test("rotation reads the bootstrap secret through grantRead and gets the rotation protocol from rotateWith", () => {
  const fn = byName("rotate-credentials");
  expect(fn.environment.variables.EDGEPLANE_BOOTSTRAP_SECRET_ARN).toBe(BOOTSTRAP);
  expect(fn.environment.variables.EDGEPLANE_EDGEGRID_SECRET_ARN).toBeUndefined();
  const statements = statementsOf(fn);
  expect(Object.keys(statements).sort()).toEqual([
    "DecryptBootstrapCredential",
    "EncryptNewVersions",
    "ReadBootstrapCredential",
    "RotateEdgeGridSecret",
    "WriteOwnLogs",
  ]);
  expect(statements.ReadBootstrapCredential.Resource).toEqual([BOOTSTRAP]);
  expect(statements.DecryptBootstrapCredential).toMatchObject({
    Action: ["kms:Decrypt"],
    Resource: [KEY],
    Condition: VIA_SECRETS_MANAGER,
  });
  expect(statements.EncryptNewVersions).toMatchObject({
    Action: ["kms:GenerateDataKey"],
    Resource: [KEY],
    Condition: VIA_SECRETS_MANAGER,
  });
  expect(statements.RotateEdgeGridSecret.Resource).toEqual([ROTATING]);
});

describe("NodejsFunction", () => {
  const make = () => {
    const stack = new TerraformStack(Testing.app(), "probe");
    return new NodejsFunction(stack, "fn", {
      functionName: "edgeplane-test-purge-api",
      description: "probe",
      entry: "functions/purge-api/index.ts",
      environmentName: "test",
      timeoutSeconds: 10,
      logRetentionDays: 7,
    });
  };

  test("defaults: only its own logs, only the common environment, no reserved concurrency, 256 MB", () => {
    const fn = make();
    const json = JSON.parse(Testing.synth(TerraformStack.of(fn)));
    const lambda = Object.values<any>(json.resource.aws_lambda_function)[0];
    expect(Object.keys(lambda.environment.variables).sort()).toEqual([
      "EDGEPLANE_ENVIRONMENT",
      "POWERTOOLS_METRICS_NAMESPACE",
      "POWERTOOLS_SERVICE_NAME",
    ]);
    expect(lambda.reserved_concurrent_executions).toBeUndefined();
    expect(lambda.memory_size).toBe(256);
    const policy = JSON.parse(Object.values<any>(json.resource.aws_iam_role_policy)[0].policy);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["WriteOwnLogs"]);
  });

  test("wiring mistakes throw: a variable set twice to different values, a repeated Sid, an entry outside functions/<name>/", () => {
    const fn = make();
    fn.addEnvironment("EDGEPLANE_JOBS_TABLE", "a");
    fn.addEnvironment("EDGEPLANE_JOBS_TABLE", "a"); // the same value again is fine
    expect(() => fn.addEnvironment("EDGEPLANE_JOBS_TABLE", "b")).toThrow("EDGEPLANE_JOBS_TABLE is already set to another value");
    expect(() =>
      fn.addStatements({
        sid: "WriteOwnLogs",
        actions: ["logs:PutLogEvents"],
        resources: ["arn:aws:logs:eu-west-1:111111111111:log-group:x"],
      }),
    ).toThrow("policy statement WriteOwnLogs is already there");
    expect(() => fn.addStatements({ sid: "Everything", actions: ["sqs:*"], resources: ["*"] })).toThrow();
    const stack = new TerraformStack(Testing.app(), "probe2");
    expect(
      () =>
        new NodejsFunction(stack, "bad", {
          functionName: "x",
          description: "x",
          entry: "cli/main.ts",
          environmentName: "t",
          timeoutSeconds: 1,
          logRetentionDays: 1,
        }),
    ).toThrow("entry must be functions/<service>/index.ts");
  });
});

describe("AlarmTopic", () => {
  test("an existing topic is used as is; otherwise a topic with the e-mail subscription; one of the two is required", () => {
    const stack = new TerraformStack(Testing.app(), "alarms");
    const existing = new AlarmTopic(stack, "existing", {
      namePrefix: "edgeplane-x",
      existingTopicArn: "arn:aws:sns:eu-west-1:111111111111:ops",
    });
    expect(existing.topicArn).toBe("arn:aws:sns:eu-west-1:111111111111:ops");
    new AlarmTopic(stack, "own", { namePrefix: "edgeplane-x", email: "ops@example.com" });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.values<any>(json.resource.aws_sns_topic).map((t) => t.name)).toEqual(["edgeplane-x-alarms"]);
    expect(Object.values<any>(json.resource.aws_sns_topic_subscription).map((s) => s.endpoint)).toEqual(["ops@example.com"]);
    expect(() => new AlarmTopic(stack, "neither", { namePrefix: "edgeplane-x" })).toThrow(
      "needs an e-mail address or an existing topic ARN",
    );
  });
});

test("every optional prop of every construct says its default (@default in its doc comment)", () => {
  const root = join(__dirname, "../../constructs");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith(".ts")) files.push(join(dir, entry.name));
    }
  };
  walk(root);
  const missing: string[] = [];
  let optional = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const block of text.matchAll(/export interface (\w+)\s*\{([\s\S]*?)\n\}/g)) {
      const lines = block[2]!.split("\n");
      lines.forEach((line, i) => {
        const prop = /^\s+(?:readonly\s+)?(\w+)\?:/.exec(line);
        if (!prop) return;
        optional++;
        // The doc comment directly above the prop.
        let j = i - 1;
        const comment: string[] = [];
        while (j >= 0 && /^\s*(\/\*\*|\*|\*\/)/.test(lines[j]!)) comment.unshift(lines[j--]!);
        if (!comment.join("\n").includes("@default")) missing.push(`${block[1]}.${prop[1]}`);
      });
    }
  }
  expect(optional).toBeGreaterThan(5);
  expect(missing).toEqual([]);
});
