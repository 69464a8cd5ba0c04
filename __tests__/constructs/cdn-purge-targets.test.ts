/**
 * CdnPurgeTargets: the CDN token secrets (created empty, with the environment's key), what the purge functions learn
 * (EDGEPLANE_CDNS, read with cdnRuntimeTargetsSchema), and exactly what the worker may read and invalidate.
 */
import { Testing } from "cdktf";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { awsPartition, cdnTokenSecretName } from "../../config/cdn-token-secrets";
import { cdnRuntimeTargetsSchema } from "../../config/runtime-schema";
import { parseCdnTokenDeclarations } from "../../core/cdn/token-expiry";
import { exampleEnv, resourcesOfType, synthEdgeStack, variantEnv } from "../helpers/synth";

const FASTLY = "SU1Z0isxPaozGVKXdv0eY";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const FASTLY_SECRET = `\${aws_secretsmanager_secret.cdn_token_fastly_${FASTLY}.arn}`;
const CLOUDFLARE_SECRET = `\${aws_secretsmanager_secret.cdn_token_cloudflare_${ZONE}.arn}`;
const KEY = "${aws_kms_key.edgegrid.arn}";

const prod = synthEdgeStack(exampleEnv("prod"));
const staging = synthEdgeStack(exampleEnv("staging"));
const dev = synthEdgeStack(exampleEnv("dev"));

const fn = (json: Record<string, any>, suffix: string) =>
  resourcesOfType(json, "aws_lambda_function").find((f) => f.function_name.endsWith(`-${suffix}`))!;
/** The inline policy of a function's role, as statements keyed by Sid. */
function statementsOf(json: Record<string, any>, suffix: string): Record<string, any> {
  const roleRef = fn(json, suffix).role.replace(/\.arn\}$/, ".id}");
  const policy = resourcesOfType(json, "aws_iam_role_policy").find((p) => p.role === roleRef)!;
  return Object.fromEntries(JSON.parse(policy.policy).Statement.map((s: { Sid: string }) => [s.Sid, s]));
}
/** Terraform references in the JSON replaced by ARNs of the shape they resolve to, so the reader's schema can check it. */
const resolved = (text: string) =>
  text.replace(
    /\$\{aws_secretsmanager_secret\.([A-Za-z0-9_]+)\.arn\}/g,
    "arn:aws:secretsmanager:eu-west-1:333333333333:secret:$1-AbCdEf",
  );

describe("token secrets", () => {
  test("one per Fastly / Cloudflare target, named from the environment and the target's id, encrypted with the environment's key", () => {
    const secrets = prod.json.resource.aws_secretsmanager_secret;
    expect(
      Object.keys(secrets)
        .filter((id) => id.startsWith("cdn_token_"))
        .sort(),
    ).toEqual([`cdn_token_cloudflare_${ZONE}`, `cdn_token_fastly_${FASTLY}`]);
    expect(prod.text).toHaveResourceWithProperties(SecretsmanagerSecret, {
      name: `edgeplane/prod/cdn-token/fastly/${FASTLY}`,
      kms_key_id: KEY,
      recovery_window_in_days: 30,
    });
    expect(prod.text).toHaveResourceWithProperties(SecretsmanagerSecret, {
      name: `edgeplane/prod/cdn-token/cloudflare/${ZONE}`,
      kms_key_id: KEY,
      recovery_window_in_days: 30,
    });
    expect(secrets[`cdn_token_fastly_${FASTLY}`].description).toContain("edgeplane secrets set --env prod --cdn fastly");
    expect(cdnTokenSecretName("prod", { cdn: "fastly", serviceId: FASTLY, hostnames: ["www.example.com"] })).toBe(
      secrets[`cdn_token_fastly_${FASTLY}`].name,
    );
  });

  test("created without a value: Terraform writes a version only to the EdgeGrid bootstrap secret", () => {
    const versions = resourcesOfType(prod.json, "aws_secretsmanager_secret_version");
    expect(versions.map((v) => v.secret_id)).toEqual(["${aws_secretsmanager_secret.edgegrid_bootstrap.id}"]);
  });

  test("an unprotected environment gets the 7-day recovery window of its other secrets; CloudFront alone needs no secret", () => {
    const json = synthEdgeStack(
      variantEnv(
        "dev",
        (e) =>
          (e.cdns = [
            {
              cdn: "fastly",
              serviceId: "DEVSERVICE01",
              hostnames: ["www.example.com", "static.example.com", "*.assets.example.com"],
            },
          ]),
      ),
    ).json;
    expect(json.resource.aws_secretsmanager_secret.cdn_token_fastly_DEVSERVICE01).toMatchObject({
      name: "edgeplane/dev/cdn-token/fastly/DEVSERVICE01",
      recovery_window_in_days: json.resource.aws_secretsmanager_secret.edgegrid_rotating.recovery_window_in_days,
    });
    expect(json.resource.aws_secretsmanager_secret.edgegrid_rotating.recovery_window_in_days).toBe(7);
    expect(Object.keys(staging.json.resource.aws_secretsmanager_secret).sort()).toEqual([
      "edgegrid_bootstrap",
      "edgegrid_rotating",
    ]);
  });

  test("a stack output names each secret's ARN (never a value)", () => {
    expect(prod.json.output[`cdn_token_secret_fastly_${FASTLY}`]).toMatchObject({ value: FASTLY_SECRET });
    expect(prod.json.output[`cdn_token_secret_cloudflare_${ZONE}`]).toMatchObject({ value: CLOUDFLARE_SECRET });
    expect(Object.keys(dev.json.output).sort()).toEqual(["ci_role_arn", "purge_api_url"]);
    expect(Object.keys(staging.json.output).sort()).toEqual(["ci_role_arn", "purge_api_url"]);
  });
});

describe("what the purge functions learn (EDGEPLANE_CDNS)", () => {
  test("purge-api and purge-worker get the same runtime targets, which the functions' schema reads", () => {
    const api = fn(prod.json, "purge-api").environment.variables.EDGEPLANE_CDNS;
    expect(fn(prod.json, "purge-worker").environment.variables.EDGEPLANE_CDNS).toBe(api);
    const targets = cdnRuntimeTargetsSchema.parse(JSON.parse(resolved(api)));
    expect(targets.map((t) => [t.cdn, "tokenSecretArn" in t ? t.tokenSecretArn : undefined])).toEqual([
      ["akamai", undefined],
      ["fastly", `arn:aws:secretsmanager:eu-west-1:333333333333:secret:cdn_token_fastly_${FASTLY}-AbCdEf`],
      ["cloudflare", `arn:aws:secretsmanager:eu-west-1:333333333333:secret:cdn_token_cloudflare_${ZONE}-AbCdEf`],
      ["cloudfront", undefined],
    ]);
    // Everything configured reaches the functions, nothing dropped.
    expect(JSON.parse(api).map(({ tokenSecretArn: _, ...rest }: Record<string, unknown>) => rest)).toEqual(
      exampleEnv("prod").cdns,
    );
  });

  test("only when cdns is configured; the other functions never get it", () => {
    for (const f of resourcesOfType(dev.json, "aws_lambda_function"))
      expect(f.environment.variables.EDGEPLANE_CDNS).toBeUndefined();
    for (const suffix of ["edgekv-tokens", "rotate-credentials"])
      expect(fn(prod.json, suffix).environment.variables.EDGEPLANE_CDNS).toBeUndefined();
    expect(
      JSON.parse(fn(staging.json, "purge-worker").environment.variables.EDGEPLANE_CDNS).map((t: { cdn: string }) => t.cdn),
    ).toEqual(["akamai", "cloudfront"]);
  });

  test("the token job watches each token's expiry (EDGEPLANE_CDN_TOKENS) and reads exactly those secrets", () => {
    const tokens = fn(prod.json, "edgekv-tokens");
    expect(
      parseCdnTokenDeclarations(resolved(tokens.environment.variables.EDGEPLANE_CDN_TOKENS), "EDGEPLANE_CDN_TOKENS"),
    ).toEqual([
      {
        cdn: "fastly",
        secretArn: `arn:aws:secretsmanager:eu-west-1:333333333333:secret:cdn_token_fastly_${FASTLY}-AbCdEf`,
        serviceId: FASTLY,
      },
      {
        cdn: "cloudflare",
        secretArn: `arn:aws:secretsmanager:eu-west-1:333333333333:secret:cdn_token_cloudflare_${ZONE}-AbCdEf`,
        zoneId: ZONE,
        accountId: "01a7362d577a6c3019a474fd6f485823",
      },
    ]);
    expect(statementsOf(prod.json, "edgekv-tokens").ReadCdnTokens.Resource).toEqual([FASTLY_SECRET, CLOUDFLARE_SECRET]);
    const alarms = resourcesOfType(prod.json, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name);
    expect(alarms).toEqual(
      expect.arrayContaining(["edgeplane-prod-fastly-token-expiring", "edgeplane-prod-cloudflare-token-expiring"]),
    );
    expect(fn(staging.json, "edgekv-tokens").environment.variables.EDGEPLANE_CDN_TOKENS).toBeUndefined();
  });

  test("a Fastly target allowed to purge everything is declared so, for the token's scope check", () => {
    const json = synthEdgeStack(
      variantEnv(
        "dev",
        (e) =>
          (e.cdns = [
            {
              cdn: "fastly",
              serviceId: "DEVSERVICE01",
              allowPurgeAll: true,
              hostnames: ["www.example.com", "static.example.com", "*.assets.example.com"],
            },
          ]),
      ),
    ).json;
    expect(JSON.parse(fn(json, "edgekv-tokens").environment.variables.EDGEPLANE_CDN_TOKENS)).toEqual([
      {
        cdn: "fastly",
        secretArn: "${aws_secretsmanager_secret.cdn_token_fastly_DEVSERVICE01.arn}",
        serviceId: "DEVSERVICE01",
        purgeAll: true,
      },
    ]);
  });
});

describe("what the worker may do", () => {
  test("read exactly its environment's token secrets, decrypt only through Secrets Manager, invalidate exactly the configured distributions", () => {
    const worker = statementsOf(prod.json, "purge-worker");
    expect(worker.ReadCdnTokens).toEqual({
      Sid: "ReadCdnTokens",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [FASTLY_SECRET, CLOUDFLARE_SECRET],
    });
    expect(worker.DecryptCdnTokens).toEqual({
      Sid: "DecryptCdnTokens",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KEY],
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
    });
    expect(worker.InvalidateCloudFront).toEqual({
      Sid: "InvalidateCloudFront",
      Effect: "Allow",
      Action: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
      Resource: ["arn:aws:cloudfront::333333333333:distribution/E2QWRUHAPOMQZL"],
    });
    expect(statementsOf(staging.json, "purge-worker").InvalidateCloudFront.Resource).toEqual([
      "arn:aws:cloudfront::222222222222:distribution/E3STAGING0EXAMPLE",
    ]);
    expect(statementsOf(staging.json, "purge-worker").ReadCdnTokens).toBeUndefined();
  });

  test("purge-api learns the targets but may not read tokens or invalidate; no role gets an IAM user or access key", () => {
    const api = statementsOf(prod.json, "purge-api");
    expect(Object.keys(api).sort()).toEqual([
      "DecryptEdgeGridCredential",
      "EnqueueBatches",
      "PurgeJobs",
      "ReadEdgeGridCredential",
      "WriteOwnLogs",
    ]);
    const everyStatement = resourcesOfType(prod.json, "aws_iam_role_policy").flatMap((p) => JSON.parse(p.policy).Statement);
    const cloudfront = everyStatement.filter((s: { Action: string[] }) => s.Action.some((a) => a.startsWith("cloudfront:")));
    expect(cloudfront.map((s: { Sid: string }) => s.Sid)).toEqual(["InvalidateCloudFront"]);
    expect(resourcesOfType(prod.json, "aws_iam_user")).toHaveLength(0);
    expect(resourcesOfType(prod.json, "aws_iam_access_key")).toHaveLength(0);
  });

  test("without cdns (dev) nothing CDN-specific is granted", () => {
    const worker = statementsOf(dev.json, "purge-worker");
    expect(Object.keys(worker).filter((sid) => /Cdn|CloudFront/.test(sid))).toEqual([]);
  });

  test("distribution ARNs carry the region's partition", () => {
    expect([awsPartition("eu-west-1"), awsPartition("cn-north-1"), awsPartition("us-gov-west-1")]).toEqual([
      "aws",
      "aws-cn",
      "aws-us-gov",
    ]);
  });
});

test("synth stays deterministic with CDN targets", () => {
  expect(synthEdgeStack(exampleEnv("prod")).text).toBe(prod.text);
  expect(Testing).toBeDefined();
});
