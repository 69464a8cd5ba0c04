/**
 * The shape of one environment's configuration. Every rule here names what is allowed, because the
 * loader turns each failure into "environment, field, bad value, what is allowed".
 * Limits come from the Akamai provider schema notes (providers/akamai/NOTES.md) and
 * ../shared/reference/akamai-apis.md.
 */
import { z } from "zod";
import { type CdnTargetConfig, cdnTargetsSchema, edgeKvTokenSchema, networkSchema, purgePolicySchema } from "./runtime-schema";

const ENV_NAME = /^[a-z][a-z0-9-]{0,19}$/;
/** EdgeKV namespace names: 1–32 chars [A-Za-z0-9_-], not starting with "-" (TD-ekv limits). */
const EDGEKV_NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const GITHUB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** EventBridge Scheduler expressions: rate(...), cron(...) with six fields. */
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/;
/** Secrets Manager rotation schedules: rate(N hours|days) or cron(six fields). */
const ROTATION_SCHEDULE = /^(rate\(\d+ (hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const email = z.string().regex(EMAIL, { error: "expected an e-mail address like team@example.com" });
const positiveInt = z.number().int({ error: "expected an integer" }).positive({ error: "expected a positive integer" });

const awsSchema = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, { error: "expected a 12-digit AWS account id" }),
  region: z.string().regex(AWS_REGION, { error: "expected an AWS region like eu-west-1" }),
  /** Role Terraform assumes in the target account; omit to use the caller's credentials. */
  assumeRoleArn: z
    .string()
    .regex(ROLE_ARN, { error: "expected an IAM role ARN (arn:aws:iam::123456789012:role/name)" })
    .optional(),
  backend: z.discriminatedUnion(
    "type",
    [
      z.strictObject({
        type: z.literal("s3"),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name" }),
        key: z.string().regex(/^[A-Za-z0-9!_.*'()/-]{1,1024}$/, { error: "expected an S3 object key" }),
        region: z.string().regex(AWS_REGION, { error: "expected an AWS region like eu-west-1" }).optional(),
        /** Optional KMS key for the state object; S3 state is always encrypted and locked with a lockfile. */
        kmsKeyId: z.string().min(1).optional(),
      }),
      z.strictObject({ type: z.literal("local") }),
    ],
    { error: 'expected backend.type "s3" (bucket, key) or "local"' },
  ),
});

const akamaiCredentialsSchema = z.discriminatedUnion(
  "source",
  [
    /** An .edgerc file and section on the machine that runs Terraform. Never the secret values themselves. */
    z.strictObject({ source: z.literal("edgerc"), path: z.string().min(1), section: z.string().regex(/^[A-Za-z0-9_.-]+$/) }),
    /** AKAMAI_<SECTION>_HOST / _CLIENT_TOKEN / _CLIENT_SECRET / _ACCESS_TOKEN in Terraform's environment. */
    z.strictObject({ source: z.literal("env"), section: z.string().regex(/^[A-Za-z0-9_]+$/) }),
  ],
  { error: 'expected credentials.source "edgerc" (path, section) or "env" (section)' },
);

/** The Akamai API services the runtime calls, by IAM API id (ids are account data: look them up once). */
const apiServicesSchema = z.strictObject({
  /** "CCU APIs" (Fast Purge); always READ-WRITE. */
  ccuApiId: positiveInt,
  /** "EdgeKV" (tokens); READ-WRITE. */
  edgeKvApiId: positiveInt,
  /** "EdgeWorkers" (upload and activate versions); READ-WRITE. */
  edgeWorkersApiId: positiveInt,
  /** "Identity and Access Management" (the client's own credentials); CREDENTIAL-READ-WRITE. */
  identityManagementApiId: positiveInt,
});

const purgeApiClientSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9 _.-]{1,100}$/, { error: "expected 1–100 characters of letters, digits, space, _ . -" }),
  description: z.string().min(1).max(255).optional(),
  /** Exactly one Akamai user the client acts for (provider: authorized_users has exactly one entry). */
  authorizedUser: z.string().min(1),
  apis: apiServicesSchema,
  /** Group access for the client: one group and role. */
  groupAccess: z.strictObject({ groupId: positiveInt, roleId: positiveInt }),
  /** CP codes the client may purge: a list, or "all" for every current and future CP code on the contract. */
  cpCodes: z.union([z.literal("all"), z.array(positiveInt).min(1, { error: 'expected at least one CP code, or "all"' })], {
    error: 'expected a list of positive CP codes or "all"',
  }),
  purgeByTag: z.boolean(),
  purgeByCpCode: z.boolean(),
  /** CIDRs the client may call from; empty means no IP ACL. */
  ipAcl: z.array(
    z
      .string()
      .refine((c) => IPV4_CIDR.test(c) || IPV6_CIDR.test(c), { error: "expected an IPv4 or IPv6 CIDR like 203.0.113.0/24" }),
  ),
  notificationEmails: z.array(email),
});

const NETWORK = networkSchema;
/** Documented geo locations for EdgeKV namespaces; staging is always US (providers/akamai/NOTES.md). */
const GEO_LOCATION = z.enum(["US", "EU", "JP", "GLOBAL"]);

const edgeKvNamespaceSchema = z
  .strictObject({
    name: z.string().regex(EDGEKV_NAMESPACE, { error: "expected 1–32 characters [A-Za-z0-9_-], not starting with -" }),
    network: NETWORK,
    /** 0 keeps items forever; otherwise 86400..315360000 seconds (provider validation). */
    retentionSeconds: z
      .number()
      .int()
      .refine((s) => s === 0 || (s >= 86_400 && s <= 315_360_000), { error: "expected 0 (forever) or 86400..315360000 seconds" }),
    geoLocation: GEO_LOCATION,
    /** Numeric group id (the provider takes a number; strip "grp_"). */
    groupId: z.number().int().nonnegative({ error: "expected a group id ≥ 0" }),
    /** Optional EdgeKV groups with their items, managed by Terraform. */
    groups: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: "expected a group name of 1–128 characters [A-Za-z0-9_-]" }),
        z
          .record(
            z.string().regex(/^[A-Za-z0-9_-]{1,512}$/, { error: "expected an item key of 1–512 characters [A-Za-z0-9_-]" }),
            z.string().max(262_144, { error: "an EdgeKV value cannot exceed 262144 characters" }),
          )
          .refine((items) => Object.keys(items).length > 0, { error: "a group needs at least one item" }),
      )
      .optional(),
  })
  .refine((ns) => ns.network !== "staging" || ns.geoLocation === "US", {
    error: "staging namespaces are always stored in US; set geoLocation to US",
    path: ["geoLocation"],
  });

// The purge policy and the EdgeKV token declarations reach the Lambdas as JSON, so their schemas are the
// zod/mini pieces in runtime-schema.ts, shared with the functions that parse that JSON.

const rotationSchema = z.strictObject({
  /** How often the EdgeGrid credential rotates (Secrets Manager rotation schedule). */
  credentialSchedule: z.string().regex(ROTATION_SCHEDULE, { error: "expected rate(N days), rate(N hours) or cron(six fields)" }),
  /** How often EdgeKV tokens are reconciled (EventBridge Scheduler). */
  tokenSchedule: z.string().regex(SCHEDULE, { error: "expected rate(N unit) or cron(six fields)" }),
  /** Legacy tokens that expire within this many days are rotated, and the alarm fires below it. */
  tokenExpiryThresholdDays: z.number().int().min(1).max(180, { error: "expected 1..180 (legacy tokens live at most 6 months)" }),
});

const alarmsSchema = z
  .strictObject({
    email: email.optional(),
    snsTopicArn: z.string().regex(SNS_TOPIC_ARN, { error: "expected an SNS topic ARN" }).optional(),
  })
  .refine((a) => (a.email === undefined) !== (a.snsTopicArn === undefined), {
    error: "expected exactly one of alarms.email or alarms.snsTopicArn",
  });

const ciAccessSchema = z
  .strictObject({
    githubOrg: z.string().regex(GITHUB_NAME, { error: "expected a GitHub organisation name" }),
    githubRepo: z.string().regex(GITHUB_NAME, { error: "expected a GitHub repository name" }),
    /** Git refs whose workflows may purge, e.g. refs/heads/main. */
    allowedRefs: z.array(
      z.string().regex(/^refs\/(heads|tags)\/[A-Za-z0-9._/*-]+$/, { error: "expected refs/heads/<branch> or refs/tags/<tag>" }),
    ),
    /** GitHub deployment environments whose jobs may purge. */
    allowedEnvironments: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, { error: "expected a GitHub environment name" })),
    /** Reference an existing GitHub OIDC provider instead of creating one (one per account). */
    existingOidcProviderArn: z
      .string()
      .regex(OIDC_PROVIDER_ARN, { error: "expected arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com" })
      .optional(),
  })
  .refine((c) => c.allowedRefs.length + c.allowedEnvironments.length > 0, {
    error: "expected at least one allowed ref or environment; otherwise no pipeline could purge",
    path: ["allowedRefs"],
  });

export const environmentSchema = z
  .strictObject({
    name: z.string().regex(ENV_NAME, { error: "expected a lowercase name like dev (letters, digits, -; max 20)" }),
    /** Protected environments keep their EdgeKV namespaces and API client from being destroyed. */
    protected: z.boolean(),
    aws: awsSchema,
    akamai: z.strictObject({
      credentials: akamaiCredentialsSchema,
      contractId: z.string().regex(/^(ctr_)?[A-Za-z0-9-]+$/, { error: "expected a contract id like ctr_1-ABCDE" }),
      groupId: positiveInt,
    }),
    purgeApiClient: purgeApiClientSchema,
    edgeKv: z.strictObject({ namespaces: z.array(edgeKvNamespaceSchema), tokens: z.array(edgeKvTokenSchema) }),
    purgePolicy: purgePolicySchema,
    /**
     * The CDNs serving the environment, each with its hostnames and ids; absent = Akamai alone, serving
     * purgePolicy.allowedHostnames (what every environment did before CDN targets existed).
     */
    cdns: z.optional(cdnTargetsSchema),
    rotation: rotationSchema,
    logRetentionDays: z.union(
      [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((d) =>
        z.literal(d),
      ),
      {
        error:
          "expected a CloudWatch Logs retention: 1,3,5,7,14,30,60,90,120,150,180,365,400,545,731,1096,1827,2192,2557,2922,3288,3653",
      },
    ),
    alarms: alarmsSchema,
    ciAccess: ciAccessSchema,
  })
  .superRefine((env, ctx) => {
    const names = new Set<string>();
    env.edgeKv.namespaces.forEach((ns, i) => {
      const key = `${ns.name}:${ns.network}`;
      if (names.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["edgeKv", "namespaces", i, "name"],
          input: ns.name,
          message: `duplicate namespace ${key}; each name may appear once per network`,
        });
      }
      names.add(key);
    });
    const declared = new Set(env.edgeKv.namespaces.map((ns) => ns.name));
    env.edgeKv.tokens.forEach((token, i) => {
      for (const ns of Object.keys(token.namespacePermissions)) {
        if (!declared.has(ns)) {
          ctx.addIssue({
            code: "custom",
            path: ["edgeKv", "tokens", i, "namespacePermissions"],
            input: token.namespacePermissions,
            message: `namespace "${ns}" is not declared in edgeKv.namespaces; declared: ${[...declared].join(", ") || "none"}`,
          });
        }
      }
      if (!token.allowOnStaging && !token.allowOnProduction) {
        ctx.addIssue({
          code: "custom",
          path: ["edgeKv", "tokens", i, "allowOnStaging"],
          input: false,
          message: "at least one of allowOnStaging or allowOnProduction must be true",
        });
      }
    });
    const prefixes = env.edgeKv.tokens.map((t) => t.namePrefix);
    prefixes.forEach((p, i) => {
      if (prefixes.indexOf(p) !== i) {
        ctx.addIssue({
          code: "custom",
          path: ["edgeKv", "tokens", i, "namePrefix"],
          input: p,
          message: "duplicate token name prefix; each must be unique",
        });
      }
    });
    const client = env.purgeApiClient;
    if (client.cpCodes !== "all" && new Set(client.cpCodes).size !== client.cpCodes.length) {
      ctx.addIssue({ code: "custom", path: ["purgeApiClient", "cpCodes"], input: client.cpCodes, message: "duplicate CP codes" });
    }
    if (env.cdns)
      for (const issue of cdnHostnameProblems(env.cdns, env.purgePolicy.allowedHostnames))
        ctx.addIssue({ code: "custom", ...issue });
    if (env.protected && env.aws.backend.type === "local") {
      ctx.addIssue({
        code: "custom",
        path: ["aws", "backend", "type"],
        input: "local",
        message: 'a protected environment needs a shared, locked backend; use "s3"',
      });
    }
  });

/**
 * Whether hostname pattern `pattern` covers `host` the way the purge policy matches (core/purge/objects.ts):
 * an exact name only itself; `*.example.com` every name below example.com (any depth), and so every wildcard
 * below it too. An exact name never covers a wildcard.
 */
export function hostnameCovers(pattern: string, host: string): boolean {
  if (!pattern.startsWith("*.")) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  const name = host.startsWith("*.") ? host.slice(2) : host;
  return name.endsWith(suffix) || (host.startsWith("*.") && `.${name}` === suffix);
}

/**
 * The purge policy and the CDN targets must agree: a target may serve only hostnames the policy allows (a purge
 * is checked against the policy first), and every allowed hostname must be served by some target (otherwise a
 * purge of it would be accepted and sent nowhere).
 */
function cdnHostnameProblems(
  cdns: readonly CdnTargetConfig[],
  allowed: readonly string[],
): Array<{ path: PropertyKey[]; input: unknown; message: string }> {
  const problems: Array<{ path: PropertyKey[]; input: unknown; message: string }> = [];
  cdns.forEach((target, i) => {
    target.hostnames.forEach((host, j) => {
      if (!allowed.some((pattern) => hostnameCovers(pattern, host))) {
        problems.push({
          path: ["cdns", i, "hostnames", j],
          input: host,
          message: `not allowed by purgePolicy.allowedHostnames (${allowed.join(", ")}); a CDN may serve only allowed hostnames (exact or under a wildcard)`,
        });
      }
    });
  });
  allowed.forEach((host, k) => {
    if (!cdns.some((target) => target.hostnames.some((pattern) => hostnameCovers(pattern, host)))) {
      problems.push({
        path: ["purgePolicy", "allowedHostnames", k],
        input: host,
        message:
          "served by no CDN in cdns; add it to the hostnames of the CDN(s) that serve it, or remove it from allowedHostnames",
      });
    }
  });
  return problems;
}

export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EdgeKvNamespaceConfig = EnvironmentConfig["edgeKv"]["namespaces"][number];
export type { CdnTargetConfig, EdgeKvTokenConfig, PurgePolicyConfig } from "./runtime-schema";
