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
  maxRequestBytes: z.int().check(z.minimum(1_024), z.maximum(6_000_000, { error: "expected 1024..6000000 (Lambda's 6 MB payload limit)" })),
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
    namePrefix: z.string({ error: "must be a string" }).check(z.regex(TOKEN_PREFIX, { error: "must be 1-20 characters of A-Z a-z 0-9 _ - (a date suffix is added)" })),
    /** namespace -> permissions ("r" read, "w" write, "d" delete); 1–20 namespaces. */
    namespacePermissions: z
      .record(z.string(), permissions, { error: 'must be an object like {"namespace": ["r"]}' })
      .check(z.refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 20, { error: "must name 1-20 namespaces" })),
    allowOnStaging: flag,
    allowOnProduction: flag,
    /** EdgeWorker ids that may use the token (at most 8); empty allows every EdgeWorker. */
    edgeWorkerIds: z.array(wholeNumber, { error: "must be a list of EdgeWorker ids" }).check(z.maxLength(8, { error: "must hold at most 8 EdgeWorker ids" })),
    /** Optional EdgeWorker whose bundle gets the new edgekv_tokens.js on rotation. */
    deployTo: z.optional(
      z.strictObject({ edgeWorkerId: wholeNumber, activateOnProduction: flag }, { error: "must be {edgeWorkerId, activateOnProduction}" }),
    ),
  },
  { error: "must be an object" },
);

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
    .map((issue) => `${formatPath(issue.path) || root}: ${issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message}`)
    .join("; ");
}
