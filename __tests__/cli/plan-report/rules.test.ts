/**
 * Every guard rule with a compliant and a non-compliant change. Akamai changes come from the schema-shaped
 * fixtures of the dev stack; AWS changes have the shapes `terraform show -json` gives them (the real plans
 * in terraform-plans.test.ts run the rules on Terraform's own output too).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfiguredResource, ResourceChange } from "../../../cli/plan-report/plan";
import type { GuardRule } from "../../../cli/plan-report/rule";
import { RULES } from "../../../cli/plan-report/rules";
import { apiClientReplaced as apiClientRule } from "../../../cli/plan-report/rules/api-client-replaced";
import { edgekvNamespaceDestroyed } from "../../../cli/plan-report/rules/edgekv-namespace-destroyed";
import { iamPolicyActionsAdded } from "../../../cli/plan-report/rules/iam-policy-actions-added";
import { iamPolicyWildcard } from "../../../cli/plan-report/rules/iam-policy-wildcard";
import { productionPurgeAllowed } from "../../../cli/plan-report/rules/production-purge-allowed";
import { purgeRouteAuthRemoved } from "../../../cli/plan-report/rules/purge-route-auth-removed";
import { secretOrKeyDeleted } from "../../../cli/plan-report/rules/secret-or-key-deleted";
import {
  apiClientDestroyed,
  apiClientEmailsChanged,
  apiClientReplaced,
  namespaceDestroyed,
  namespaceReplaced,
  namespaceRetentionChanged,
} from "./helpers/fixtures";
import { akamaiChange, akamaiObject } from "./helpers/akamai-plan";

const AWS = "registry.terraform.io/hashicorp/aws";

function awsChange(
  type: string,
  name: string,
  actions: string[],
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  extra: Partial<ResourceChange["change"]> = {},
): ResourceChange {
  return {
    address: `${type}.${name}`,
    mode: "managed",
    type,
    name,
    provider_name: AWS,
    change: { actions, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...extra },
  };
}

const policy = (...statements: Array<{ Action: string | string[]; Resource: string | string[]; Effect?: string }>) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });
const QUEUE = "arn:aws:sqs:eu-west-1:111111111111:edgeplane-dev-purge";
const rolePolicy = (
  before: string | null,
  after: string | null,
  extra: Partial<ResourceChange["change"]> = {},
  actions?: string[],
) =>
  awsChange(
    "aws_iam_role_policy",
    "worker_policy",
    actions ?? (before === null ? ["create"] : ["update"]),
    before === null ? null : { name: "least-privilege", role: "edgeplane-dev-purge-worker", policy: before },
    after === null ? { name: "least-privilege" } : { name: "least-privilege", role: "edgeplane-dev-purge-worker", policy: after },
    extra,
  );
/** cdktf writes JSON configuration; Terraform reports a templated string as a constant with the interpolations in it. */
const configWithPolicy = (text: string): ConfiguredResource => ({
  address: "aws_iam_role_policy.worker_policy",
  type: "aws_iam_role_policy",
  name: "worker_policy",
  expressions: { policy: { constant_value: text, references: ["aws_sqs_queue.purge.arn", "aws_sqs_queue.purge"] } },
});

const route = (actions: string[], before: Record<string, unknown> | null, after: Record<string, unknown>) =>
  awsChange("aws_apigatewayv2_route", "post", actions, before, after);
const IAM_ROUTE = { route_key: "POST /purge", authorization_type: "AWS_IAM", api_key_required: false };

const purgePolicy = (networks: string[]) =>
  JSON.stringify({
    allowedHostnames: ["www.example.com"],
    allowedNetworks: networks,
    defaultAction: "invalidate",
    maxObjectsPerRequest: 10000,
    maxRequestBytes: 1000000,
  });
const lambda = (actions: string[], before: string | null, after: string | null, extra: Partial<ResourceChange["change"]> = {}) =>
  awsChange(
    "aws_lambda_function",
    "purge_api",
    actions,
    before === null
      ? null
      : {
          function_name: "edgeplane-dev-purge-api",
          environment: [{ variables: { EDGEPLANE_ENVIRONMENT: "dev", EDGEPLANE_PURGE_POLICY: before } }],
        },
    after === null
      ? { function_name: "edgeplane-dev-purge-api", environment: [{}] }
      : {
          function_name: "edgeplane-dev-purge-api",
          environment: [{ variables: { EDGEPLANE_ENVIRONMENT: "dev", EDGEPLANE_PURGE_POLICY: after } }],
        },
    extra,
  );

interface Case {
  name: string;
  change: () => ResourceChange;
  config?: ConfiguredResource;
  /** Substrings of the findings, one per finding; [] for a compliant change. */
  expected: string[];
}

const CASES: Array<[GuardRule, Case[]]> = [
  [
    edgekvNamespaceDestroyed,
    [
      { name: "namespace destroyed", change: namespaceDestroyed, expected: ['namespace "dev_config" on staging is destroyed'] },
      {
        name: "namespace replaced (geo_location forces it)",
        change: namespaceReplaced,
        expected: [
          'namespace "dev_config" on staging is replaced (deleted, then created empty): forced by geo_location ("EU" → "US")',
        ],
      },
      { name: "retention updated in place", change: namespaceRetentionChanged, expected: [] },
      {
        name: "new namespace created",
        change: () =>
          akamaiChange({
            type: "akamai_edgekv",
            name: "extra_staging",
            actions: ["create"],
            before: null,
            after: akamaiObject("akamai_edgekv", {
              namespace_name: "extra",
              network: "staging",
              group_id: 1,
              retention_in_seconds: 0,
              geo_location: "US",
            }),
          }),
        expected: [],
      },
    ],
  ],
  [
    apiClientRule,
    [
      { name: "API client destroyed", change: apiClientDestroyed, expected: ['API client "edgeplane-dev-purge" is destroyed'] },
      {
        name: "API client replaced on request",
        change: apiClientReplaced,
        expected: ['API client "edgeplane-dev-purge" is replaced (new client_id and credential) (replace_by_request)'],
      },
      { name: "notification e-mails updated in place", change: apiClientEmailsChanged, expected: [] },
    ],
  ],
  [
    secretOrKeyDeleted,
    [
      {
        name: "secret destroyed",
        change: () =>
          awsChange("aws_secretsmanager_secret", "edgegrid_rotating", ["delete"], { name: "edgeplane/dev/edgegrid" }, null),
        expected: ['secret "edgeplane/dev/edgegrid" is deleted'],
      },
      {
        name: "KMS key replaced",
        change: () =>
          awsChange(
            "aws_kms_key",
            "edgegrid",
            ["delete", "create"],
            { key_id: "1234abcd", multi_region: false },
            { multi_region: true },
            { replace_paths: [["multi_region"]] },
          ),
        expected: ["KMS key 1234abcd is replaced (the old one is deleted): forced by multi_region (false → true)"],
      },
      {
        name: "CDN token secret replaced (a target's id changed)",
        change: () =>
          awsChange(
            "aws_secretsmanager_secret",
            "cdn_token_fastly_SVC1",
            ["delete", "create"],
            { name: "edgeplane/prod/cdn-token/fastly/SVC1" },
            { name: "edgeplane/prod/cdn-token/fastly/SVC2" },
            { replace_paths: [["name"]] },
          ),
        expected: ['secret "edgeplane/prod/cdn-token/fastly/SVC1" is replaced (the old one is deleted): forced by name'],
      },
      {
        name: "CDN token secret destroyed (target removed from cdns)",
        change: () =>
          awsChange(
            "aws_secretsmanager_secret",
            "cdn_token_cloudflare_z",
            ["delete"],
            { name: "edgeplane/prod/cdn-token/cloudflare/z" },
            null,
          ),
        expected: ['secret "edgeplane/prod/cdn-token/cloudflare/z" is deleted'],
      },
      {
        name: "secret description updated",
        change: () =>
          awsChange(
            "aws_secretsmanager_secret",
            "edgegrid_rotating",
            ["update"],
            { name: "s", description: "a" },
            { name: "s", description: "b" },
          ),
        expected: [],
      },
      {
        name: "a secret version (not the secret) replaced",
        change: () =>
          awsChange(
            "aws_secretsmanager_secret_version",
            "bootstrap",
            ["delete", "create"],
            { secret_id: "s" },
            { secret_id: "t" },
          ),
        expected: [],
      },
    ],
  ],
  [
    iamPolicyWildcard,
    [
      {
        name: "action wildcard added",
        change: () =>
          rolePolicy(
            policy({ Action: ["sqs:ReceiveMessage"], Resource: [QUEUE] }),
            policy({ Action: ["sqs:*"], Resource: [QUEUE] }),
          ),
        expected: [`gains Action "sqs:*" on "${QUEUE}"`],
      },
      {
        name: "new policy with Resource * (known only from the configuration)",
        change: () => rolePolicy(null, null, { after_unknown: { id: true, policy: true, role: true } }),
        config: configWithPolicy(policy({ Action: ["sqs:SendMessage"], Resource: "*" })),
        expected: ['gains Resource "*" for sqs:SendMessage'],
      },
      {
        name: "NotAction added",
        change: () =>
          rolePolicy(
            policy({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }),
            JSON.stringify({ Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b/*" }] }),
          ),
        expected: ['gains NotAction ["iam:*"] (allows every other action)'],
      },
      {
        name: "policy unknown and not literal in the configuration",
        change: () =>
          rolePolicy(policy({ Action: "sqs:SendMessage", Resource: QUEUE }), null, { after_unknown: { policy: true } }),
        expected: ["cannot be checked"],
      },
      {
        name: "specific action on a named ARN added",
        change: () =>
          rolePolicy(
            policy({ Action: ["sqs:ReceiveMessage"], Resource: [QUEUE] }),
            policy({ Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource: [QUEUE] }),
          ),
        expected: [],
      },
      {
        name: "an existing wildcard kept as it was",
        change: () =>
          rolePolicy(
            policy({ Action: "logs:*", Resource: "arn:aws:logs:eu-west-1:111111111111:log-group:x:*" }),
            policy(
              { Action: "logs:*", Resource: "arn:aws:logs:eu-west-1:111111111111:log-group:x:*" },
              { Action: "sqs:SendMessage", Resource: QUEUE },
            ),
          ),
        expected: [],
      },
      {
        name: "a Deny statement with a wildcard",
        change: () =>
          rolePolicy(
            policy({ Action: "sqs:SendMessage", Resource: QUEUE }),
            policy({ Action: "sqs:SendMessage", Resource: QUEUE }, { Effect: "Deny", Action: "*", Resource: "*" }),
          ),
        expected: [],
      },
    ],
  ],
  [
    iamPolicyActionsAdded,
    [
      {
        name: "existing policy allows new actions",
        change: () =>
          rolePolicy(
            policy({ Action: ["sqs:ReceiveMessage"], Resource: [QUEUE] }),
            policy({ Action: ["sqs:ReceiveMessage", "sqs:PurgeQueue", "sqs:DeleteQueue"], Resource: [QUEUE] }),
          ),
        expected: ["allows sqs:DeleteQueue, sqs:PurgeQueue (role edgeplane-dev-purge-worker)"],
      },
      {
        name: "policy replaced; new actions known only from the configuration",
        change: () =>
          rolePolicy(
            policy({ Action: "sqs:SendMessage", Resource: QUEUE }),
            null,
            { after_unknown: { policy: true, role: true }, replace_paths: [["role"]] },
            ["delete", "create"],
          ),
        config: configWithPolicy(
          policy({ Action: ["sqs:SendMessage", "sqs:DeleteMessage"], Resource: "${aws_sqs_queue.purge.arn}" }),
        ),
        expected: ["allows sqs:DeleteMessage"],
      },
      {
        name: "managed policy attached",
        change: () =>
          awsChange("aws_iam_role_policy_attachment", "admin", ["create"], null, {
            role: "r",
            policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess",
          }),
        expected: ['attaches managed policy "arn:aws:iam::aws:policy/AdministratorAccess"'],
      },
      {
        name: "an action removed, another only re-cased",
        change: () =>
          rolePolicy(
            policy({ Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource: [QUEUE] }),
            policy({ Action: ["SQS:ReceiveMessage"], Resource: [QUEUE] }),
          ),
        expected: [],
      },
      {
        name: "a new role's new policy",
        change: () => rolePolicy(null, policy({ Action: "sqs:SendMessage", Resource: QUEUE })),
        expected: [],
      },
    ],
  ],
  [
    purgeRouteAuthRemoved,
    [
      {
        name: "route loses AWS_IAM",
        change: () => route(["update"], IAM_ROUTE, { ...IAM_ROUTE, authorization_type: "NONE" }),
        expected: ['route "POST /purge" loses AWS_IAM authorization (now "NONE")'],
      },
      {
        name: "$default route created without auth",
        change: () => route(["create"], null, { route_key: "$default", authorization_type: "NONE" }),
        expected: ['route "$default" is created with authorization "NONE", not AWS_IAM'],
      },
      {
        name: "route updated, AWS_IAM kept",
        change: () => route(["update"], IAM_ROUTE, { ...IAM_ROUTE, api_key_required: true }),
        expected: [],
      },
      {
        name: "a health route without auth",
        change: () => route(["create"], null, { route_key: "GET /health", authorization_type: "NONE" }),
        expected: [],
      },
    ],
  ],
  [
    productionPurgeAllowed,
    [
      {
        name: "production added to allowedNetworks",
        change: () => lambda(["update"], purgePolicy(["staging"]), purgePolicy(["staging", "production"])),
        expected: ['function "edgeplane-dev-purge-api" may now purge production (allowedNetworks ["staging","production"])'],
      },
      {
        name: "new function allowing production (known only from the configuration)",
        change: () => lambda(["create"], null, null, { after_unknown: { environment: [{ variables: true }] } }),
        config: {
          address: "aws_lambda_function.purge_api",
          type: "aws_lambda_function",
          name: "purge_api",
          expressions: {
            environment: [
              {
                variables: {
                  constant_value: {
                    EDGEPLANE_PURGE_POLICY: purgePolicy(["production"]),
                    EDGEPLANE_JOBS_TABLE: "${aws_dynamodb_table.purge_jobs.name}",
                  },
                },
              },
            ],
          },
        },
        expected: ["may now purge production"],
      },
      {
        name: "production was already allowed",
        change: () => lambda(["update"], purgePolicy(["staging", "production"]), purgePolicy(["production"])),
        expected: [],
      },
      {
        name: "staging only, hostnames changed",
        change: () =>
          lambda(["update"], purgePolicy(["staging"]), purgePolicy(["staging"]).replace("www.example.com", "cdn.example.com")),
        expected: [],
      },
      {
        name: "a function without a purge policy",
        change: () =>
          awsChange(
            "aws_lambda_function",
            "rotation",
            ["update"],
            { function_name: "r", environment: [{ variables: { A: "1" } }] },
            { function_name: "r", environment: [{ variables: { A: "2" } }] },
          ),
        expected: [],
      },
    ],
  ],
];

describe("guard rules", () => {
  test("each rule has a stable kebab-case id, a severity and a message; ids are unique", () => {
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(["block", "warn"]).toContain(rule.severity);
      expect(rule.message.length).toBeGreaterThan(20);
      // A short why, one sentence, different from the message.
      expect(rule.why.length).toBeGreaterThan(20);
      expect(rule.why.length).toBeLessThan(200);
      expect(rule.why).not.toBe(rule.message);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  test("one rule per file in cli/plan-report/rules, and the index lists every one", () => {
    const dir = join(__dirname, "../../../cli/plan-report/rules");
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "index.ts");
    expect(files.length).toBe(RULES.length);
    for (const file of files) {
      const exported = Object.values(require(join(dir, file)) as Record<string, unknown>).filter(
        (v): v is GuardRule => typeof v === "object" && v !== null && "check" in v,
      );
      expect({ file, rules: exported.length }).toEqual({ file, rules: 1 });
      expect({ file, id: `${exported[0]!.id}.ts` }).toEqual({ file, id: file });
      expect(RULES).toContain(exported[0]);
      expect(readFileSync(join(dir, file), "utf8")).not.toMatch(/from "node:|require\(/); // pure: no I/O
    }
  });

  test("the rules that stop a pipeline are the dangerous ones from the issue", () => {
    expect(Object.fromEntries(RULES.map((r) => [r.id, r.severity]))).toEqual({
      "edgekv-namespace-destroyed": "block",
      "api-client-replaced": "block",
      "secret-or-key-deleted": "block",
      "iam-policy-wildcard": "block",
      "iam-policy-actions-added": "warn",
      "purge-route-auth-removed": "block",
      "production-purge-allowed": "block",
    });
  });

  for (const [rule, cases] of CASES) {
    describe(rule.id, () => {
      test("has a compliant and a non-compliant case", () => {
        expect(cases.some((c) => c.expected.length === 0)).toBe(true);
        expect(cases.some((c) => c.expected.length > 0)).toBe(true);
      });
      test.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
        const findings = rule.check(c.change(), c.config);
        expect(findings.length).toBe(c.expected.length);
        for (const [i, text] of c.expected.entries()) expect(findings[i]).toContain(text);
      });
    });
  }

  test("rules ignore changes to data sources and other resource types", () => {
    const read: ResourceChange = { ...namespaceDestroyed(), mode: "data", address: "data.akamai_edgekv.x" };
    const otherType = awsChange("aws_sqs_queue", "purge", ["delete"], { name: "q" }, null);
    for (const rule of RULES) {
      expect(rule.check(read)).toEqual([]);
      expect(rule.check(otherType)).toEqual([]);
    }
  });
});
