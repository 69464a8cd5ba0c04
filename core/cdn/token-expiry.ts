/**
 * Days to expiry of the environment's CDN tokens (issue 10 item 5), for the scheduled token job: each declared
 * token is read from its secret, checked without a probe (credential-checks.ts: Fastly GET /tokens/self gives
 * expires_at, Cloudflare token verify gives expires_on), and its whole days left reported as a metric per CDN.
 * CloudFront has no token (the worker's role signs), so it is not declared here.
 *
 * The declaration travels from the stack to the job as JSON (one schema, shared by the construct that writes it,
 * the job that reads it, and later the environment config): ids and secret ARNs only, never a token.
 */
import * as z from "zod/mini";
import { type CredentialReport, checkCloudflareCredential, checkFastlyCredential } from "./credential-checks";
import type { CdnTransport } from "./types";

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const secretArn = z
  .string()
  .check(z.regex(SECRET_ARN, "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"));

export const fastlyTokenDeclarationSchema = z.strictObject({
  cdn: z.literal("fastly"),
  /** The secret whose AWSCURRENT value is the token (the token only, no JSON). */
  secretArn,
  serviceId: z.string().check(z.regex(/^[A-Za-z0-9]{1,64}$/, "must be letters and digits (a Fastly service id)")),
  /** purge-all is configured: the token's scope must allow purge_all too. */
  purgeAll: z.optional(z.boolean()),
});

export const cloudflareTokenDeclarationSchema = z.strictObject({
  cdn: z.literal("cloudflare"),
  secretArn,
  zoneId: z.string().check(z.regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters (the zone id, not its name)")),
  /** For an account-owned token (verified at /accounts/{id}/tokens/verify). */
  accountId: z.optional(z.string().check(z.regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters"))),
});

export const cdnTokenDeclarationSchema = z.discriminatedUnion("cdn", [
  fastlyTokenDeclarationSchema,
  cloudflareTokenDeclarationSchema,
]);
export const cdnTokenDeclarationsSchema = z.array(cdnTokenDeclarationSchema);
export type CdnTokenDeclaration = z.infer<typeof cdnTokenDeclarationSchema>;
export type TokenCdn = CdnTokenDeclaration["cdn"];
export const TOKEN_CDNS: readonly TokenCdn[] = ["fastly", "cloudflare"];

/** Parses the JSON list (e.g. an environment variable); errors name `source` and every bad field at once. */
export function parseCdnTokenDeclarations(text: string, source: string): CdnTokenDeclaration[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `${source} is not valid JSON; it must be a list of {cdn: "fastly"|"cloudflare", secretArn, serviceId|zoneId, accountId?}`,
    );
  }
  const parsed = cdnTokenDeclarationsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  // zod/mini carries no locale (its default message is "Invalid input"), so each kind of issue is worded here.
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    let message = issue.message;
    if (issue.path.at(-1) === "cdn") message = 'cdn must be "fastly" (with serviceId) or "cloudflare" (with zoneId)';
    else if (issue.code === "unrecognized_keys")
      message = `unknown field(s) ${issue.keys.join(", ")}; allowed: cdn, secretArn, serviceId, purgeAll (fastly), zoneId, accountId (cloudflare)`;
    else if (issue.code === "invalid_type")
      message = `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`} (it is missing or of another type)`;
    return `${where === "" ? "(list)" : where}: ${message}`;
  });
  throw new Error(`${source} is invalid: ${problems.join("; ")}`);
}

/** The id a declared token is checked against. */
export function declarationTarget(declaration: CdnTokenDeclaration): string {
  return declaration.cdn === "fastly" ? declaration.serviceId : declaration.zoneId;
}

export interface CdnTokenExpiry {
  cdn: TokenCdn;
  /** Service or zone id. */
  target: string;
  /** ISO time; null = the token never expires; absent = not known (the check failed). */
  expiresAt?: string | null;
  daysToExpiry?: number;
  /** What is wrong with the token (failed checks, unreadable secret); empty when all is well. */
  problems: string[];
}

export interface CdnTokenExpiryDeps {
  /** The token in the secret (AWSCURRENT). Throws with a message naming the secret, never the value. */
  readToken: (secretArn: string) => Promise<string>;
  /** Whole days left of one CDN token: the job's metric. */
  daysToExpiry: (cdn: TokenCdn, days: number) => void;
  now: () => number;
  transport?: CdnTransport;
  /** For the loopback endpoint overrides (tests, sandbox). */
  env?: Record<string, string | undefined>;
}

/**
 * Checks each declared token (no probe) and reports its days to expiry; never throws for one token's failure, so a
 * broken token does not hide the others. Problems name the CDN, the service or zone and the failed check.
 */
export async function reportCdnTokenExpiry(
  declarations: readonly CdnTokenDeclaration[],
  deps: CdnTokenExpiryDeps,
): Promise<CdnTokenExpiry[]> {
  const results: CdnTokenExpiry[] = [];
  for (const declaration of declarations) {
    const target = declarationTarget(declaration);
    const where = `${declaration.cdn} ${declaration.cdn === "fastly" ? "service" : "zone"} ${target}`;
    let token: string;
    try {
      token = await deps.readToken(declaration.secretArn);
    } catch (error) {
      results.push({
        cdn: declaration.cdn,
        target,
        problems: [`${where}: ${error instanceof Error ? error.message : String(error)}`],
      });
      continue;
    }
    const common = {
      token,
      now: deps.now,
      ...(deps.transport ? { transport: deps.transport } : {}),
      ...(deps.env ? { env: deps.env } : {}),
    };
    let report: CredentialReport;
    try {
      report =
        declaration.cdn === "fastly"
          ? await checkFastlyCredential({ ...common, serviceId: declaration.serviceId, purgeAll: declaration.purgeAll === true })
          : await checkCloudflareCredential({
              ...common,
              zoneId: declaration.zoneId,
              ...(declaration.accountId ? { accountId: declaration.accountId } : {}),
            });
    } catch (error) {
      results.push({
        cdn: declaration.cdn,
        target,
        problems: [`${where}: ${error instanceof Error ? error.message : String(error)}`],
      });
      continue;
    }
    const result: CdnTokenExpiry = {
      cdn: declaration.cdn,
      target,
      problems: report.checks.filter((c) => c.status !== "ok").map((c) => `${where}: ${c.name} ${c.status}: ${c.reason}`),
    };
    if (report.expiresAt !== undefined) result.expiresAt = report.expiresAt;
    if (report.daysToExpiry !== undefined) {
      result.daysToExpiry = report.daysToExpiry;
      deps.daysToExpiry(declaration.cdn, report.daysToExpiry);
    }
    results.push(result);
  }
  return results;
}
