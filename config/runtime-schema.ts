/**
 * The pieces of an environment's configuration that the stack hands to the Lambda functions as JSON
 * (the purge policy, the declared EdgeKV tokens). config/schema.ts composes them into the environment
 * schema, and the functions parse the JSON with the same pieces (core/jobs/policy.ts,
 * core/tokens/declared.ts): one schema per contract, shared by writer and reader.
 *
 * They are bundled into Lambdas, so they use zod/mini, imported as a namespace: `import * as z` lets
 * esbuild keep only what is used (~25 KB), while `import { z }` drags in all of zod/mini (~430 KB),
 * because the exported `z` object is a value esbuild cannot shake.
 */
import * as z from "zod/mini";
import { en } from "zod/locales";

// zod/mini ships without messages ("Invalid input"); full zod (config, CLI) installs the same English
// ones globally, so a Lambda reading a bad value says what config would have said.
z.config(en());

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** EdgeKV token names are 1–32 chars [A-Za-z0-9_-]; the prefix leaves room for a "-YYYYMMDD-x" suffix. */
const TOKEN_PREFIX = /^[A-Za-z0-9_-]{1,20}$/;

export const networkSchema = z.enum(["staging", "production"]);

export const purgePolicySchema = z.strictObject({
  allowedHostnames: z
    .array(z.string().check(z.regex(HOSTNAME, { error: "expected a lowercase hostname like www.example.com or *.example.com" })))
    .check(z.minLength(1, { error: "expected at least one hostname" })),
  allowedNetworks: z.array(networkSchema).check(z.minLength(1, { error: 'expected at least one of "staging", "production"' })),
  defaultAction: z.enum(["invalidate", "delete"]),
  /** Objects accepted in one POST /purge request. */
  maxObjectsPerRequest: z.int().check(z.minimum(1), z.maximum(100_000, { error: "expected at most 100000" })),
  /** Bytes accepted in one POST /purge request body (API Gateway payloads stop at 10 MB). */
  maxRequestBytes: z
    .int()
    .check(z.minimum(1_024), z.maximum(6_000_000, { error: "expected 1024..6000000 (Lambda's 6 MB payload limit)" })),
});

// The token pieces carry their own messages (what is allowed), so they read the same with or without a
// locale; config shows them for edgeKv.tokens as well.
const wholeNumber = z.int({ error: "must be a whole number" }).check(z.positive({ error: "must be a positive whole number" }));
const flag = z.boolean({ error: "must be true or false" });
const permissions = z
  .array(z.enum(["r", "w", "d"], { error: 'must be "r", "w" or "d"' }), { error: "must be a list of permissions" })
  .check(z.minLength(1, { error: "must list 1-3 permissions" }), z.maxLength(3, { error: "must list 1-3 permissions" }));

export const edgeKvTokenSchema = z.strictObject(
  {
    namePrefix: z
      .string({ error: "must be a string" })
      .check(z.regex(TOKEN_PREFIX, { error: "must be 1-20 characters of A-Z a-z 0-9 _ - (a date suffix is added)" })),
    /** namespace -> permissions ("r" read, "w" write, "d" delete); 1–20 namespaces. */
    namespacePermissions: z
      .record(z.string(), permissions, { error: 'must be an object like {"namespace": ["r"]}' })
      .check(z.refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 20, { error: "must name 1-20 namespaces" })),
    allowOnStaging: flag,
    allowOnProduction: flag,
    /** EdgeWorker ids that may use the token (at most 8); empty allows every EdgeWorker. */
    edgeWorkerIds: z
      .array(wholeNumber, { error: "must be a list of EdgeWorker ids" })
      .check(z.maxLength(8, { error: "must hold at most 8 EdgeWorker ids" })),
    /** Optional EdgeWorker whose bundle gets the new edgekv_tokens.js on rotation. */
    deployTo: z.optional(
      z.strictObject(
        { edgeWorkerId: wholeNumber, activateOnProduction: flag },
        { error: "must be {edgeWorkerId, activateOnProduction}" },
      ),
    ),
  },
  { error: "must be an object" },
);

/**
 * The CDNs that serve an environment (config `cdns`; absent = Akamai alone, serving purgePolicy.allowedHostnames).
 * A purge fans out to every CDN serving the objects: URLs by host, tags to every CDN that can purge tags.
 * Token-based CDNs (Fastly, Cloudflare) read their token from a Secrets Manager secret the stack creates
 * without a value (`edgeplane secrets set`); the stack adds its ARN as `tokenSecretArn` in what it hands the
 * Lambdas (cdnRuntimeTargetSchema). CloudFront is reached with the worker role's own permissions.
 */
const cdnHostnames = z
  .array(z.string().check(z.regex(HOSTNAME, { error: "expected a lowercase hostname like www.example.com or *.example.com" })))
  .check(z.minLength(1, { error: "expected at least one hostname" }));
const allowPurgeAll = z.optional(flag);

export const akamaiTargetSchema = z.strictObject({ cdn: z.literal("akamai"), hostnames: cdnHostnames });
export const fastlyTargetSchema = z.strictObject({
  cdn: z.literal("fastly"),
  serviceId: z
    .string()
    .check(z.regex(/^[A-Za-z0-9]{10,32}$/, { error: "expected a Fastly service id (10-32 letters and digits)" })),
  hostnames: cdnHostnames,
  /** Mark content stale (Fastly-Soft-Purge: 1) instead of removing it. @default false */
  softPurge: z.optional(flag),
  /** Allow `all` (purge_all) for this service. @default false */
  allowPurgeAll,
});
export const cloudflareTargetSchema = z.strictObject({
  cdn: z.literal("cloudflare"),
  zoneId: z.string().check(z.regex(/^[0-9a-f]{32}$/, { error: "expected a Cloudflare zone id (32 hex characters)" })),
  /** Needed to verify account-owned API tokens. */
  accountId: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{32}$/, { error: "expected a Cloudflare account id (32 hex characters)" })),
  ),
  plan: z.enum(["free", "pro", "business", "enterprise"], { error: 'must be "free", "pro", "business" or "enterprise"' }),
  hostnames: cdnHostnames,
  /** Items per purge request; Cloudflare's documented caps are the default (30 URLs, 500 on Enterprise; 100 others). */
  maxItemsPerRequest: z.optional(wholeNumber),
  allowPurgeAll,
});
export const cloudfrontTargetSchema = z.strictObject({
  cdn: z.literal("cloudfront"),
  distributionId: z
    .string()
    .check(z.regex(/^E[A-Z0-9]{7,20}$/, { error: "expected a CloudFront distribution id like E2QWRUHAPOMQZL" })),
  hostnames: cdnHostnames,
  /** The distribution is configured to purge by cache tag (`#tag` items). */
  cacheTags: flag,
  /** What a tag purge does without cache tags: refuse it, or invalidate everything ("/*", reported as such). @default "reject" */
  tagFallback: z.optional(z.enum(["reject", "purgeAll"], { error: 'must be "reject" or "purgeAll"' })),
  allowPurgeAll,
});
export const cdnTargetSchema = z.discriminatedUnion("cdn", [
  akamaiTargetSchema,
  fastlyTargetSchema,
  cloudflareTargetSchema,
  cloudfrontTargetSchema,
]);
export const cdnTargetsSchema = z.array(cdnTargetSchema).check(
  z.minLength(1, { error: "expected at least one CDN" }),
  z.refine((targets) => new Set(targets.map(targetKey)).size === targets.length, { error: "lists the same CDN target twice" }),
);

/** What the stack hands the purge functions: a target plus, for token-based CDNs, the secret holding the token. */
const tokenSecretArn = z
  .string()
  .check(
    z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, { error: "expected a Secrets Manager secret ARN" }),
  );
export const cdnRuntimeTargetSchema = z.discriminatedUnion("cdn", [
  akamaiTargetSchema,
  z.extend(fastlyTargetSchema, { tokenSecretArn }),
  z.extend(cloudflareTargetSchema, { tokenSecretArn }),
  cloudfrontTargetSchema,
]);
export const cdnRuntimeTargetsSchema = z.array(cdnRuntimeTargetSchema);

/** "fastly:SERVICE" / "cloudflare:ZONE" / "cloudfront:DIST" / "akamai": names one target in jobs, logs and errors. */
export function targetKey(target: CdnTargetConfig): string {
  switch (target.cdn) {
    case "akamai":
      return "akamai";
    case "fastly":
      return `fastly:${target.serviceId}`;
    case "cloudflare":
      return `cloudflare:${target.zoneId}`;
    case "cloudfront":
      return `cloudfront:${target.distributionId}`;
  }
}

export type CdnTargetConfig = z.infer<typeof cdnTargetSchema>;
export type CdnRuntimeTarget = z.infer<typeof cdnRuntimeTargetSchema>;

export type PurgePolicyConfig = z.infer<typeof purgePolicySchema>;
export type EdgeKvTokenConfig = z.infer<typeof edgeKvTokenSchema>;

/** `edgeKv.tokens[0].namePrefix`: the path of a value, written the way config errors write it. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join("");
}

/** "field: what is allowed" for each problem (never the value: it may sit next to a secret). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root = "(root)", limit = 10): string {
  return issues
    .slice(0, limit)
    .map(
      (issue) =>
        `${formatPath(issue.path) || root}: ${issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message}`,
    )
    .join("; ");
}
