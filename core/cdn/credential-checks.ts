/**
 * Credential validation per CDN (issue 10 item 6): the cheapest calls that prove a credential, and with `probe` one
 * harmless real purge. Reference: shared/reference/cdn-apis.md §1.1, §2.4, §3.4 and §6 "Validation calls".
 *
 * - Fastly: GET /tokens/self (scope has purge_select or global, and purge_all or global when purge-all is
 *   configured; the service is allowed, an empty services list meaning all; not expired). Probe: a soft purge of
 *   one random surrogate key. A URL purge is never used as proof: Fastly accepts URL purges without a token.
 * - Cloudflare: GET /user/tokens/verify, then on 401 GET /accounts/{id}/tokens/verify when an account id is
 *   given (account-owned tokens fail the user form). Verify lists no permissions, so Cache Purge on the zone is
 *   proven only by the probe: a purge of one random cache tag (one request from the zone's purge bucket).
 * - CloudFront: STS GetCallerIdentity (proves the key pair, needs no permission). Probe: an invalidation of one
 *   random path, which is billable (one path of the 1,000 free per month per account, then $0.005).
 *
 * Each check is {name, status, reason}: ok; missing (the credential lacks a scope, permission or resource);
 * refused (the CDN refused the credential itself: wrong, revoked, disabled or expired); error (the answer could not
 * tell: network, 5xx, rate limited, undocumented body). Reasons name what is missing, never the token.
 */
import { randomUUID } from "node:crypto";
import * as z from "zod/mini";
import { createCloudflareProvider } from "./cloudflare";
import { createCloudFrontProvider } from "./cloudfront";
import { CLOUDFLARE_API_URL, CLOUDFLARE_API_URL_ENV, FASTLY_API_URL, FASTLY_API_URL_ENV, resolveApiBaseUrl } from "./endpoint";
import { createFastlyProvider } from "./fastly";
import { fetchTransport } from "./fetch-transport";
import { asRecord, parseJson, truncate } from "./http-answers";
import type { CdnAnswer, CdnClassification, CdnObjectInput, CdnProvider, CdnTransport } from "./types";

export type CredentialCheckStatus = "ok" | "missing" | "refused" | "error";

export interface CredentialCheck {
  name: string;
  status: CredentialCheckStatus;
  reason: string;
  /** The check cost money (CloudFront probe: one invalidation path). */
  billable?: true;
}

export interface CredentialReport {
  cdn: "fastly" | "cloudflare" | "cloudfront";
  /** What was checked against: the service, zone or distribution id. */
  target: string;
  checks: CredentialCheck[];
  /** Every check is ok (and there is at least one). */
  ok: boolean;
  /** When the token expires (ISO 8601); null = the CDN says it never expires; absent = not known. */
  expiresAt?: string | null;
  /** Whole days left (0 = under a day, negative = expired); only with expiresAt. */
  daysToExpiry?: number;
  /** What the checks could not prove and how to prove it. */
  notes: string[];
}

const DAY_MS = 86_400_000;
export const PROBE_PREFIX = "edgeplane-validate-";

/** Whole days from `nowMs` until `expiresAt` (ISO 8601): 0 = under a day left, negative = expired. */
export function daysUntilExpiry(expiresAt: string, nowMs: number): number {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) throw new RangeError(`expiry "${truncate(expiresAt, 64)}" is not an ISO 8601 time`);
  return Math.floor((at - nowMs) / DAY_MS);
}

function report(
  cdn: CredentialReport["cdn"],
  target: string,
  checks: CredentialCheck[],
  notes: string[],
  expiry?: { expiresAt: string | null; nowMs: number },
): CredentialReport {
  const result: CredentialReport = {
    cdn,
    target,
    checks,
    ok: checks.length > 0 && checks.every((c) => c.status === "ok"),
    notes,
  };
  if (expiry !== undefined) {
    result.expiresAt = expiry.expiresAt;
    if (expiry.expiresAt !== null && !Number.isNaN(Date.parse(expiry.expiresAt)))
      result.daysToExpiry = daysUntilExpiry(expiry.expiresAt, expiry.nowMs);
  }
  return result;
}

/** The expiry check shared by Fastly and Cloudflare. */
function expiryCheck(expiresAt: string | null | undefined, nowMs: number, field: string): CredentialCheck {
  if (expiresAt === null || expiresAt === undefined) return { name: "expiry", status: "ok", reason: "the token does not expire" };
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return { name: "expiry", status: "error", reason: `${field} "${truncate(expiresAt, 64)}" is not a time` };
  const days = daysUntilExpiry(expiresAt, nowMs);
  if (at <= nowMs) return { name: "expiry", status: "refused", reason: `the token expired at ${expiresAt}` };
  return { name: "expiry", status: "ok", reason: `the token expires at ${expiresAt} (${days} day(s) left)` };
}

/** Sends one request; a thrown transport error becomes undefined plus a reason. */
async function send(
  transport: CdnTransport,
  url: string,
  headers: Record<string, string>,
): Promise<{ answer: CdnAnswer } | { failure: string }> {
  try {
    return { answer: await transport({ kind: "http", method: "GET", url, headers }) };
  } catch (error) {
    return { failure: error instanceof Error ? error.message : String(error) };
  }
}

/** One purge of one object through the provider's own request building and answer classification, no retries. */
async function probePurge(
  provider: CdnProvider,
  object: CdnObjectInput,
  transport: CdnTransport,
  now: () => number,
): Promise<CdnClassification> {
  const validation = provider.validate([object]);
  const rejected = validation.rejected[0];
  if (rejected !== undefined) return { kind: "failed", reason: rejected.reason, detail: rejected.detail };
  const [request] = provider.plan(validation.accepted, { jobId: `${PROBE_PREFIX}${randomUUID()}` });
  if (request === undefined) return { kind: "failed", reason: "invalidRequest", detail: "the probe planned no request" };
  try {
    return provider.classify(request, await transport(provider.buildRequest(request)), now());
  } catch (error) {
    return { kind: "failed", reason: "transportError", detail: error instanceof Error ? error.message : String(error) };
  }
}

/** A probe's classification as a check. */
function probeCheck(
  classification: CdnClassification,
  done: (cdnId: string | null) => string,
  missingWhat: string,
): CredentialCheck {
  if (classification.kind === "done") return { name: "probe", status: "ok", reason: done(classification.cdnId) };
  const status = "status" in classification && classification.status !== undefined ? `HTTP ${classification.status}: ` : "";
  if (classification.kind === "retry") {
    return {
      name: "probe",
      status: "error",
      reason: `the probe purge was not done (${classification.cause}; ${status}${classification.detail}); try again later`,
    };
  }
  const detail = `${status}${classification.detail}`;
  switch (classification.reason) {
    case "credentialRejected":
      return {
        name: "probe",
        status: "refused",
        reason: `the probe purge was refused: the credential is not accepted (${detail})`,
      };
    case "forbidden":
    case "notFound":
      return { name: "probe", status: "missing", reason: `${missingWhat} (${detail})` };
    default:
      return { name: "probe", status: "error", reason: `the probe purge failed (${classification.reason}: ${detail})` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fastly

/** fastly-js TokenResponse (the fields read here). `services` empty = all services. */
export const fastlyTokenSelfSchema = z.object({
  id: z.optional(z.string()),
  name: z.optional(z.nullable(z.string())),
  scope: z.string(),
  services: z.optional(z.nullable(z.array(z.string()))),
  expires_at: z.optional(z.nullable(z.string())),
});

export interface FastlyCredentialOptions {
  /** FASTLY_API_TOKEN. Never logged or echoed. */
  token: string;
  serviceId: string;
  /** purge-all is configured for this service: the scope must also allow purge_all. */
  purgeAll?: boolean;
  /** Also soft-purge one random surrogate key on the service. */
  probe?: boolean;
  transport?: CdnTransport;
  /** Default https://api.fastly.com or EDGEPLANE_FASTLY_API_URL (loopback only, see endpoint.ts). */
  apiBaseUrl?: string;
  env?: Record<string, string | undefined>;
  now?: () => number;
}

function fastlyMessage(body: string, status: number): string {
  const record = asRecord(parseJson(body));
  const parts = [record?.msg, record?.reason, record?.detail].filter((p): p is string => typeof p === "string");
  return parts.length > 0 ? truncate(parts.join(": ")) : `HTTP ${status}`;
}

export async function checkFastlyCredential(options: FastlyCredentialOptions): Promise<CredentialReport> {
  const now = options.now ?? Date.now;
  const { serviceId } = options;
  const baseUrl = options.apiBaseUrl ?? resolveApiBaseUrl(FASTLY_API_URL, FASTLY_API_URL_ENV, options.env ?? process.env);
  const transport = options.transport ?? fetchTransport();
  if (options.token.trim() === "") {
    return report(
      "fastly",
      serviceId,
      [{ name: "token", status: "missing", reason: "no Fastly API token was given (FASTLY_API_TOKEN is empty)" }],
      [],
    );
  }
  const checks: CredentialCheck[] = [];
  const notes: string[] = [];
  let expiry: { expiresAt: string | null; nowMs: number } | undefined;
  let refused = false;

  const sent = await send(transport, `${baseUrl}/tokens/self`, { "Fastly-Key": options.token, Accept: "application/json" });
  if ("failure" in sent) {
    checks.push({ name: "token", status: "error", reason: `GET /tokens/self failed: ${sent.failure}` });
  } else if (sent.answer.kind !== "http") {
    checks.push({ name: "token", status: "error", reason: `GET /tokens/self got a ${sent.answer.kind} answer` });
  } else if (sent.answer.status === 200) {
    const parsed = fastlyTokenSelfSchema.safeParse(parseJson(sent.answer.body));
    if (!parsed.success) {
      checks.push({
        name: "token",
        status: "error",
        reason: "GET /tokens/self answered 200 without a token description (scope)",
      });
    } else {
      const token = parsed.data;
      checks.push({
        name: "token",
        status: "ok",
        reason: `Fastly accepted the token${token.name ? ` "${truncate(token.name, 80)}"` : ""}`,
      });
      const expiryResult = expiryCheck(token.expires_at, now(), "expires_at");
      checks.push(expiryResult);
      expiry = { expiresAt: token.expires_at ?? null, nowMs: now() };
      const scopes = token.scope.split(/\s+/).filter((s) => s !== "");
      const has = (scope: string) => scopes.includes(scope) || scopes.includes("global");
      const scopeText = `the token's scope is "${scopes.join(" ")}"`;
      checks.push(
        has("purge_select")
          ? { name: "scope", status: "ok", reason: `${scopeText}: it may purge by URL and surrogate key` }
          : { name: "scope", status: "missing", reason: `token scope lacks purge_select (or global); ${scopeText}` },
      );
      if (options.purgeAll === true) {
        checks.push(
          has("purge_all")
            ? { name: "scope purge_all", status: "ok", reason: `${scopeText}: it may purge everything` }
            : {
                name: "scope purge_all",
                status: "missing",
                reason: `token scope lacks purge_all (or global), needed because purge-all is configured; ${scopeText}`,
              },
        );
      }
      const services = token.services ?? [];
      checks.push(
        services.length === 0
          ? { name: "service", status: "ok", reason: `the token is not limited to services, so service ${serviceId} is allowed` }
          : services.includes(serviceId)
            ? { name: "service", status: "ok", reason: `service ${serviceId} is allowed by this token` }
            : {
                name: "service",
                status: "missing",
                reason: `service ${serviceId} not allowed by this token (it is limited to ${services.slice(0, 10).join(", ")}${services.length > 10 ? ", ..." : ""})`,
              },
      );
      if (expiryResult.status === "refused") refused = true;
    }
  } else if (sent.answer.status === 401) {
    refused = true;
    checks.push({
      name: "token",
      status: "refused",
      reason: `Fastly refused the token (HTTP 401: ${fastlyMessage(sent.answer.body, 401)}): it is wrong, revoked or expired`,
    });
  } else if (sent.answer.status === 403) {
    // Authenticated (a wrong token gets 401) but not allowed to read itself: whether purge_select-only tokens may
    // call /tokens/self is unconfirmed. Only the probe can then prove purging.
    const why = `GET /tokens/self answered HTTP 403 (${fastlyMessage(sent.answer.body, 403)})`;
    checks.push({
      name: "token",
      status: "ok",
      reason: `Fastly accepted the token, but it may not read its own description: ${why}`,
    });
    if (options.probe === true)
      notes.push(`the token's scope, services and expiry could not be read (${why}); the probe decides whether it may purge`);
    else
      checks.push({
        name: "scope",
        status: "error",
        reason: `the token's scope, services and expiry cannot be read (${why}); run with probe to prove purging`,
      });
  } else {
    checks.push({
      name: "token",
      status: "error",
      reason: `GET /tokens/self answered HTTP ${sent.answer.status} (${fastlyMessage(sent.answer.body, sent.answer.status)})`,
    });
  }

  if (options.probe === true && !refused) {
    const key = `${PROBE_PREFIX}${randomUUID()}`;
    const provider = createFastlyProvider({
      serviceId,
      token: options.token,
      hostnames: [],
      softPurge: true,
      apiBaseUrl: baseUrl,
    });
    const classification = await probePurge(provider, { type: "tag", value: key }, transport, now);
    checks.push(
      probeCheck(
        classification,
        (id) => `soft-purged the random surrogate key ${key} on service ${serviceId}${id ? ` (purge id ${id})` : ""}`,
        `the token may not purge surrogate keys on service ${serviceId}`,
      ),
    );
  } else if (options.probe !== true) {
    notes.push(
      `purging on service ${serviceId} is inferred from the token's scope and services; a probe soft-purges one random surrogate key to prove it ` +
        "(a URL purge would prove nothing: Fastly accepts URL purges without a token)",
    );
  }
  return report("fastly", serviceId, checks, notes, expiry);
}

// ---------------------------------------------------------------------------------------------------------------
// Cloudflare

/** The token verify result (cloudflare-typescript TokenVerifyResponse). */
export const cloudflareVerifySchema = z.object({
  success: z.boolean(),
  result: z.nullable(
    z.object({
      id: z.optional(z.string()),
      status: z.enum(["active", "disabled", "expired"]),
      expires_on: z.optional(z.nullable(z.string())),
      not_before: z.optional(z.nullable(z.string())),
    }),
  ),
});

export interface CloudflareCredentialOptions {
  /** CLOUDFLARE_API_TOKEN. Never logged or echoed. */
  token: string;
  zoneId: string;
  /** For account-owned tokens, which only GET /accounts/{id}/tokens/verify accepts. */
  accountId?: string;
  /** Also purge one random cache tag on the zone (one request from the zone's purge bucket). */
  probe?: boolean;
  transport?: CdnTransport;
  /** Default https://api.cloudflare.com/client/v4 or EDGEPLANE_CLOUDFLARE_API_URL (loopback only). */
  apiBaseUrl?: string;
  env?: Record<string, string | undefined>;
  now?: () => number;
}

function cloudflareMessage(body: string, status: number): string {
  const errors = asRecord(parseJson(body))?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return truncate(
      errors.map((e) => `${String(asRecord(e)?.code ?? "?")} ${String(asRecord(e)?.message ?? "")}`.trim()).join("; "),
    );
  }
  return `HTTP ${status}`;
}

export async function checkCloudflareCredential(options: CloudflareCredentialOptions): Promise<CredentialReport> {
  const now = options.now ?? Date.now;
  const { zoneId, accountId } = options;
  const baseUrl = options.apiBaseUrl ?? resolveApiBaseUrl(CLOUDFLARE_API_URL, CLOUDFLARE_API_URL_ENV, options.env ?? process.env);
  const transport = options.transport ?? fetchTransport();
  if (options.token.trim() === "") {
    return report(
      "cloudflare",
      zoneId,
      [{ name: "token", status: "missing", reason: "no Cloudflare API token was given (CLOUDFLARE_API_TOKEN is empty)" }],
      [],
    );
  }
  if (accountId !== undefined && !/^[0-9a-f]{32}$/.test(accountId)) {
    return report(
      "cloudflare",
      zoneId,
      [{ name: "token", status: "error", reason: `account id "${truncate(accountId, 64)}" is not 32 lowercase hex characters` }],
      [],
    );
  }
  const headers = { Authorization: `Bearer ${options.token}`, Accept: "application/json" };
  const checks: CredentialCheck[] = [];
  const notes: string[] = [];
  let expiry: { expiresAt: string | null; nowMs: number } | undefined;
  let refused = false;

  const forms = [{ path: "/user/tokens/verify", owner: "user" }];
  if (accountId !== undefined) forms.push({ path: `/accounts/${accountId}/tokens/verify`, owner: "account" });
  const refusals: string[] = [];
  let verified: { owner: string; result: NonNullable<z.infer<typeof cloudflareVerifySchema>["result"]> } | undefined;
  let failure: CredentialCheck | undefined;
  for (const form of forms) {
    const sent = await send(transport, `${baseUrl}${form.path}`, headers);
    if ("failure" in sent) {
      failure = { name: "token", status: "error", reason: `GET ${form.path} failed: ${sent.failure}` };
      break;
    }
    const answer = sent.answer;
    if (answer.kind !== "http") {
      failure = { name: "token", status: "error", reason: `GET ${form.path} got a ${answer.kind} answer` };
      break;
    }
    if (answer.status === 401 || (answer.status === 400 && cloudflareMessage(answer.body, 400).startsWith("6003"))) {
      refusals.push(`GET ${form.path}: HTTP ${answer.status} ${cloudflareMessage(answer.body, answer.status)}`);
      continue;
    }
    const parsed = cloudflareVerifySchema.safeParse(parseJson(answer.body));
    if (answer.status === 200 && parsed.success && parsed.data.success && parsed.data.result !== null) {
      verified = { owner: form.owner, result: parsed.data.result };
      break;
    }
    failure = {
      name: "token",
      status: "error",
      reason: `GET ${form.path} answered HTTP ${answer.status} (${cloudflareMessage(answer.body, answer.status)})`,
    };
    break;
  }

  if (verified !== undefined) {
    const { result, owner } = verified;
    if (result.status === "active")
      checks.push({
        name: "token",
        status: "ok",
        reason: `an active ${owner} token (verified at ${owner === "user" ? "/user/tokens/verify" : `/accounts/${accountId}/tokens/verify`})`,
      });
    else {
      refused = true;
      checks.push({ name: "token", status: "refused", reason: `the token's status is ${result.status}` });
    }
    const expiryResult = expiryCheck(result.expires_on, now(), "expires_on");
    checks.push(expiryResult);
    if (expiryResult.status === "refused") refused = true;
    expiry = { expiresAt: result.expires_on ?? null, nowMs: now() };
    if (result.not_before != null && Date.parse(result.not_before) > now()) {
      refused = true;
      checks.push({ name: "not before", status: "refused", reason: `the token is not valid before ${result.not_before}` });
    }
  } else if (failure !== undefined) {
    checks.push(failure);
  } else {
    refused = true;
    const hint =
      accountId === undefined
        ? "; if it is an account-owned token, give the account id so it is verified at /accounts/{account_id}/tokens/verify"
        : "";
    checks.push({ name: "token", status: "refused", reason: `Cloudflare refused the token (${refusals.join("; ")})${hint}` });
  }

  if (options.probe === true && !refused) {
    const tag = `${PROBE_PREFIX}${randomUUID()}`;
    // The plan only sizes requests and pacing; one tag fits every plan.
    const provider = createCloudflareProvider({
      zoneId,
      token: options.token,
      plan: "enterprise",
      hostnames: [],
      apiBaseUrl: baseUrl,
    });
    const classification = await probePurge(provider, { type: "tag", value: tag }, transport, now);
    checks.push(
      probeCheck(
        classification,
        () => `purged the random cache tag ${tag} on zone ${zoneId}: the token has Cache Purge on the zone`,
        `the token lacks Zone → Cache Purge → Purge on zone ${zoneId} (or the zone does not exist)`,
      ),
    );
  } else if (options.probe !== true) {
    notes.push(
      `Cache Purge on zone ${zoneId} is not proven: token verify lists no permissions (reading them needs an extra API Tokens Read ` +
        "permission, and GET /zones/{id} needs Zone Read, which a purge-only token lacks); a probe purges one random cache tag to prove it, " +
        "using one request of the zone's purge rate limit (5 per minute on Free)",
    );
  }
  return report("cloudflare", zoneId, checks, notes, expiry);
}

// ---------------------------------------------------------------------------------------------------------------
// CloudFront

/** STS GetCallerIdentity as a plain answer (credential-sdk.ts makes one from the SDK). */
export type CallerIdentityAnswer =
  | { kind: "identity"; account: string; arn: string }
  | { kind: "error"; name: string; message: string; httpStatus?: number };

export interface CloudFrontCredentialOptions {
  distributionId: string;
  callerIdentity: () => Promise<CallerIdentityAnswer>;
  /** Also invalidate one random path (billable); needs `transport`. */
  probe?: boolean;
  /** The CloudFront SDK transport (cloudfront-sdk.ts), for the probe. */
  transport?: CdnTransport;
  now?: () => number;
}

/** STS / SDK error names that mean the credential itself is not accepted. */
const REFUSED_AWS_ERRORS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "InvalidAccessKeyId",
]);

export const CLOUDFRONT_PROBE_COST =
  "billable: one invalidation path (the first 1,000 paths per month per AWS account are free, then $0.005 per path)";

export async function checkCloudFrontCredential(options: CloudFrontCredentialOptions): Promise<CredentialReport> {
  const now = options.now ?? Date.now;
  const { distributionId } = options;
  const checks: CredentialCheck[] = [];
  const notes: string[] = [];
  let identity: CallerIdentityAnswer;
  try {
    identity = await options.callerIdentity();
  } catch (error) {
    identity = {
      kind: "error",
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
    };
  }
  let refused = false;
  if (identity.kind === "identity") {
    checks.push({
      name: "identity",
      status: "ok",
      reason: `AWS accepted the credential: account ${identity.account}, ${identity.arn}`,
    });
  } else if (identity.name === "CredentialsProviderError") {
    refused = true;
    checks.push({
      name: "identity",
      status: "missing",
      reason: `no AWS credentials were found in the SDK credential chain (${truncate(identity.message)})`,
    });
  } else if (REFUSED_AWS_ERRORS.has(identity.name)) {
    refused = true;
    checks.push({
      name: "identity",
      status: "refused",
      reason: `STS GetCallerIdentity refused the credential: ${identity.name}: ${truncate(identity.message)}`,
    });
  } else {
    checks.push({
      name: "identity",
      status: "error",
      reason: `STS GetCallerIdentity failed: ${identity.name}: ${truncate(identity.message)}`,
    });
  }

  if (options.probe === true && !refused) {
    if (options.transport === undefined) throw new TypeError("checkCloudFrontCredential: probe needs the CloudFront transport");
    const path = `/${PROBE_PREFIX}${randomUUID()}`;
    const provider = createCloudFrontProvider({ distributionId, hostnames: [] });
    const classification = await probePurge(provider, { type: "path", value: path }, options.transport, now);
    const check = probeCheck(
      classification,
      (id) =>
        `invalidated the random path ${path} on distribution ${distributionId}${id ? ` (invalidation ${id})` : ""}; ${CLOUDFRONT_PROBE_COST}`,
      `the credential may not create invalidations on distribution ${distributionId} (cloudfront:CreateInvalidation on its ARN)`,
    );
    checks.push(classification.kind === "done" ? { ...check, billable: true } : check);
  } else if (options.probe !== true) {
    notes.push(
      `cloudfront:CreateInvalidation on distribution ${distributionId} is not proven: IAM has no check callable with the purge credential; ` +
        `a probe invalidates one random path to prove it (${CLOUDFRONT_PROBE_COST})`,
    );
  }
  return report("cloudfront", distributionId, checks, notes);
}
