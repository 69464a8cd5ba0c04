/**
 * Amazon CloudFront invalidation API (REST-XML, 2020-05-31) and STS GetCallerIdentity (query protocol)
 * emulator on loopback, for `@aws-sdk/client-cloudfront` / `@aws-sdk/client-sts` pointed at it through
 * `endpoint` or AWS_ENDPOINT_URL_CLOUDFRONT / AWS_ENDPOINT_URL_STS. Facts and sources:
 * shared/reference/cdn-apis.md §3 (Smithy model, AWS docs, observed errors).
 *
 *   POST /2020-05-31/distribution/{Id}/invalidation        CreateInvalidation: 201 + Location
 *   GET  /2020-05-31/distribution/{Id}/invalidation/{Inv}  GetInvalidation
 *   GET  /2020-05-31/distribution/{Id}/invalidation        ListInvalidations (Marker, MaxItems)
 *   POST /  Action=GetCallerIdentity&Version=2011-06-15    STS
 *
 * Requests must carry a SigV4 Authorization header for a configured access key id, service `cloudfront`
 * (region us-east-1) or `sts`, and an X-Amz-Date within 5 minutes of the emulator's clock. When the
 * access key's secret is configured, the signature itself is checked too (SignatureDoesNotMatch).
 *
 * Limits: 3,000 paths and 15 wildcard paths in progress per distribution (TooManyInvalidationsInProgress;
 * one batch over 3,000 paths is BatchTooLarge); invalidations move InProgress → Completed after
 * `completionMs` (scaled by timeScale). Path rules: leading "/", "*" only last, at most 4,000 characters;
 * unsafe characters URL-encoded (no spaces, controls or non-ASCII; emulator check); "#tag" items only on distributions with cache tags, at most 256 characters of ASCII 33–126 without commas.
 *
 * Emulation choices where the reference has no source:
 * - Tag items count toward the 3,000 paths in progress (they are billed as paths).
 * - "#tag" on a distribution without CacheTagConfig: 400 InvalidArgument (real behaviour unconfirmed).
 * - Same CallerReference with the same paths answers 201 with the first invalidation (no new one).
 *   With different paths: `callerReferenceConflict` picks the documented InvalidationBatchAlreadyExists (409,
 *   default) or the observed 400 InvalidArgument "…caller reference that was used for a previous invalidation…".
 * - Missing Authorization: 403 MissingAuthenticationToken; a malformed one: 400 IncompleteSignature.
 * - Throttling (400 "Rate exceeded") only when `createRate` is given: AWS publishes no rate.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  checkTimeScale,
  headerValue,
  startLoopbackServer,
  type CdnFault,
  type CdnFaultRule,
  type EmulatorRequest,
  type EmulatorRequestRecord,
  type EmulatorResponse,
  type LoopbackServer,
} from "./cdn-server";
import { TokenBucket, type BucketSpec } from "./token-bucket";
import { child, el, parseXml, type XmlElement } from "../core/xml";

export const CLOUDFRONT_NAMESPACE = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
export const CLOUDFRONT_MAX_PATHS_IN_PROGRESS = 3000;
export const CLOUDFRONT_MAX_WILDCARDS_IN_PROGRESS = 15;
export const CLOUDFRONT_MAX_PATH_CHARS = 4000;
export const CLOUDFRONT_MAX_TAG_CHARS = 256;
/** "completion reported < 25 s at P95 (2026)"; the emulator default is shorter. */
export const CLOUDFRONT_DEFAULT_COMPLETION_MS = 5000;
const MAX_SKEW_MS = 5 * 60_000;

export type CloudFrontAction = "cloudfront:CreateInvalidation" | "cloudfront:GetInvalidation" | "cloudfront:ListInvalidations";
const ALL_ACTIONS: CloudFrontAction[] = [
  "cloudfront:CreateInvalidation",
  "cloudfront:GetInvalidation",
  "cloudfront:ListInvalidations",
];

export interface CloudFrontDistributionConfig {
  id: string;
  /** DistributionConfig.CacheTagConfig.HeaderName is set: "#tag" items are accepted. Default false. */
  cacheTags?: boolean;
}

export interface CloudFrontCredentialConfig {
  accessKeyId: string;
  /** When given, signatures are verified; otherwise only their shape is. */
  secretAccessKey?: string;
  /** 12 digits. */
  accountId: string;
  /** Default arn:aws:iam::{accountId}:user/edgeplane-sandbox. */
  arn?: string;
  /** Default all three invalidation actions. */
  actions?: CloudFrontAction[];
  /** Distribution ids the identity may act on (resource-level ARNs); absent = all. */
  distributionIds?: string[];
}

export interface CloudFrontInvalidationRecord {
  id: string;
  distributionId: string;
  callerReference: string;
  paths: string[];
  createdMs: number;
  completesMs: number;
  accessKeyId: string;
}

export interface CloudFrontState {
  invalidations: CloudFrontInvalidationRecord[];
  requests: EmulatorRequestRecord[];
  /** Highest paths / wildcard paths ever in progress at once, per distribution (to prove limits held). */
  peakInProgress: Record<string, { paths: number; wildcards: number }>;
  /** Answered GetCallerIdentity calls. */
  identityCalls: number;
}

export interface CloudFrontEmulatorOptions {
  port?: number;
  host?: string;
  distributions: CloudFrontDistributionConfig[];
  credentials: CloudFrontCredentialConfig[];
  completionMs?: number;
  maxPathsInProgress?: number;
  maxWildcardsInProgress?: number;
  callerReferenceConflict?: "InvalidationBatchAlreadyExists" | "InvalidArgument";
  /** CreateInvalidation requests per account (before timeScale); none by default. */
  createRate?: BucketSpec;
  /** Divides completionMs and multiplies createRate. Default 1. */
  timeScale?: number;
  faults?: CdnFaultRule[];
  now?: () => number;
}

export interface CloudFrontEmulator extends LoopbackServer {
  state: CloudFrontState;
}

/** Every path of every invalidation that matches, in arrival order (duplicates kept). */
export function cloudFrontInvalidatedPaths(state: CloudFrontState, distributionId?: string): string[] {
  return state.invalidations
    .filter((i) => distributionId === undefined || i.distributionId === distributionId)
    .flatMap((i) => i.paths);
}

const isWildcard = (path: string): boolean => path.endsWith("*");
const isoTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

interface ErrorSpec {
  status: number;
  code: string;
  message: string;
  type?: "Sender" | "Receiver";
}

function errorXml(
  namespace: string,
  spec: ErrorSpec,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): EmulatorResponse {
  const body =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${namespace}">` +
    el("Error", [
      el("Type", spec.type ?? (spec.status >= 500 ? "Receiver" : "Sender")),
      el("Code", spec.code),
      el("Message", spec.message),
    ]) +
    el("RequestId", requestId) +
    "</ErrorResponse>";
  return {
    status: spec.status,
    contentType: "text/xml",
    rawBody: Buffer.from(body, "utf8"),
    headers: { "x-amzn-RequestId": requestId, ...extraHeaders },
  };
}

function xmlAnswer(status: number, body: string, requestId: string, headers: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    contentType: "text/xml",
    rawBody: Buffer.from(`<?xml version="1.0"?>\n${body}`, "utf8"),
    headers: { "x-amzn-RequestId": requestId, ...headers },
  };
}

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** X-Amz-Date (YYYYMMDDTHHMMSSZ) as epoch ms, or undefined. */
function parseAmzDate(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

/** Checks the Authorization header; the error (as {code,...}) or the credential. */
async function checkSignature(
  request: EmulatorRequest,
  credentials: Map<string, CloudFrontCredentialConfig>,
  service: "cloudfront" | "sts",
): Promise<{ ok: true; credential: CloudFrontCredentialConfig } | { ok: false; error: ErrorSpec; why: string }> {
  const header = headerValue(request.headers, "authorization");
  if (header === undefined)
    return {
      ok: false,
      why: "missing_authorization",
      error: { status: 403, code: "MissingAuthenticationToken", message: "Missing Authentication Token" },
    };
  const m = AUTH_PATTERN.exec(header);
  const amzDate = headerValue(request.headers, "x-amz-date");
  const signedAt = parseAmzDate(amzDate);
  if (!m || signedAt === undefined) {
    return {
      ok: false,
      why: "malformed_authorization",
      error: {
        status: 400,
        code: "IncompleteSignature",
        message: "Authorization must be AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=… with an X-Amz-Date header",
      },
    };
  }
  const [, accessKeyId, scopeDate, region, scopeService, signedHeaders, signature] = m as unknown as string[];
  const credential = credentials.get(accessKeyId as string);
  if (!credential)
    return {
      ok: false,
      why: "unknown_access_key",
      error: { status: 403, code: "InvalidClientTokenId", message: "The security token included in the request is invalid." },
    };
  const mismatch = (message: string, why: string) => ({
    ok: false as const,
    why,
    error: { status: 403, code: "SignatureDoesNotMatch", message },
  });
  if (scopeService !== service) return mismatch(`Credential should be scoped to correct service: '${service}'.`, "wrong_service");
  if (service === "cloudfront" && region !== "us-east-1")
    return mismatch("Credential should be scoped to a valid region, not '" + region + "'.", "wrong_region");
  if (!amzDate?.startsWith(scopeDate as string))
    return mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP", "scope_date");
  if (Math.abs(request.nowMs - signedAt) > MAX_SKEW_MS) {
    return mismatch(
      `Signature expired: ${amzDate} is now earlier than ${isoTime(request.nowMs - MAX_SKEW_MS).replace(/[-:]/g, "")} (${isoTime(request.nowMs).replace(/[-:]/g, "")} - 5 min.)`,
      "signature_expired",
    );
  }
  const names = (signedHeaders as string).split(";");
  if (!names.includes("host")) return mismatch("'Host' must be a signed header", "host_not_signed");
  if (credential.secretAccessKey !== undefined) {
    const headers: Record<string, string> = {};
    for (const name of names) {
      const value = headerValue(request.headers, name);
      if (value === undefined) return mismatch(`Signed header ${name} is missing`, "signed_header_missing");
      headers[name] = value;
    }
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(request.query.keys())) {
      const values = request.query.getAll(key);
      query[key] = values.length === 1 ? (values[0] as string) : values;
    }
    const signer = new SignatureV4({
      credentials: { accessKeyId: accessKeyId as string, secretAccessKey: credential.secretAccessKey },
      region: region as string,
      service,
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: true,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: "http:",
        hostname: (headers.host ?? "").split(":")[0] as string,
        path: request.path,
        query,
        headers,
        body: request.body.toString("utf8"),
      },
      { signingDate: new Date(signedAt), unsignableHeaders: new Set<string>(), signableHeaders: new Set(names) },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(
      String(signed.headers.authorization ?? signed.headers.Authorization ?? ""),
    )?.[1];
    if (expected !== signature) {
      return mismatch(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        "bad_signature",
      );
    }
  }
  return { ok: true, credential };
}

function invalidationXml(inv: CloudFrontInvalidationRecord, nowMs: number): string {
  const status = nowMs >= inv.completesMs ? "Completed" : "InProgress";
  return (
    `<Invalidation xmlns="${CLOUDFRONT_NAMESPACE}">` +
    el("Id", inv.id) +
    el("Status", status) +
    el("CreateTime", isoTime(inv.createdMs)) +
    el("InvalidationBatch", [
      el("Paths", [
        el("Quantity", inv.paths.length),
        ...(inv.paths.length > 0
          ? [
              el(
                "Items",
                inv.paths.map((p) => el("Path", p)),
              ),
            ]
          : []),
      ]),
      el("CallerReference", inv.callerReference),
    ]) +
    "</Invalidation>"
  );
}

function newInvalidationId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return `I${[...randomBytes(13)].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

/** A path or tag item's problem, if any (AWS wording is not published for these; emulation). */
function checkPath(path: string, cacheTags: boolean): string | undefined {
  if (path.startsWith("#")) {
    if (!cacheTags)
      return `The distribution has no CacheTagConfig, so it cannot invalidate tag items such as "${path.slice(0, 64)}"`;
    const tag = path.slice(1);
    if (tag.length === 0 || tag.length > CLOUDFRONT_MAX_TAG_CHARS)
      return `Tag "${path.slice(0, 64)}" must have 1 to ${CLOUDFRONT_MAX_TAG_CHARS} characters after "#"`;
    if (!/^[\x21-\x7e]+$/.test(tag) || tag.includes(",") || tag.includes("*"))
      return `Tag "${path.slice(0, 64)}" must be ASCII 33-126 without commas or wildcards`;
    return undefined;
  }
  if (!path.startsWith("/")) return `Path "${path.slice(0, 64)}" must start with "/"`;
  if (path.length > CLOUDFRONT_MAX_PATH_CHARS)
    return `Path "${path.slice(0, 64)}…" is ${path.length} characters; the maximum is ${CLOUDFRONT_MAX_PATH_CHARS}`;
  if (!/^[\x21-\x7e]+$/.test(path))
    return `Path "${path.slice(0, 64)}" has spaces, control or non-ASCII characters: URL-encode them (RFC 1738)`;
  if (path.slice(0, -1).includes("*")) return `Path "${path.slice(0, 64)}" may have "*" only as its last character`;
  return undefined;
}

export async function startCloudFrontEmulator(options: CloudFrontEmulatorOptions): Promise<CloudFrontEmulator> {
  const now = options.now ?? Date.now;
  const timeScale = checkTimeScale(options.timeScale);
  const completionMs = (options.completionMs ?? CLOUDFRONT_DEFAULT_COMPLETION_MS) / timeScale;
  if (!(completionMs >= 0))
    throw new RangeError(`completionMs must be a non-negative number, got ${String(options.completionMs)}`);
  const maxPaths = options.maxPathsInProgress ?? CLOUDFRONT_MAX_PATHS_IN_PROGRESS;
  const maxWildcards = options.maxWildcardsInProgress ?? CLOUDFRONT_MAX_WILDCARDS_IN_PROGRESS;
  const conflict = options.callerReferenceConflict ?? "InvalidationBatchAlreadyExists";
  for (const c of options.credentials) {
    if (!/^\d{12}$/.test(c.accountId))
      throw new RangeError(`credential ${c.accessKeyId}: accountId must be 12 digits, got "${c.accountId}"`);
  }
  const distributions = new Map(options.distributions.map((d) => [d.id, d]));
  const credentials = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  const state: CloudFrontState = { invalidations: [], requests: [], peakInProgress: {}, identityCalls: 0 };
  const rateBuckets = new Map<string, TokenBucket>();
  const startMs = now();

  const inProgress = (distributionId: string, nowMs: number): { paths: number; wildcards: number } => {
    let paths = 0;
    let wildcards = 0;
    for (const inv of state.invalidations) {
      if (inv.distributionId !== distributionId || nowMs >= inv.completesMs) continue;
      for (const p of inv.paths) {
        if (isWildcard(p)) wildcards++;
        else paths++;
      }
    }
    return { paths, wildcards };
  };

  const cloudFront = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    const requestId = randomUUID();
    const fail = (spec: ErrorSpec, extra: Partial<EmulatorResponse> = {}): EmulatorResponse => ({
      ...errorXml(CLOUDFRONT_NAMESPACE, spec, requestId),
      ...extra,
    });
    const m = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation(?:\/([^/]+))?$/.exec(request.path);
    if (!m) return fail({ status: 404, code: "NotFound", message: `The emulator has no CloudFront API at ${request.path}` });
    const auth = await checkSignature(request, credentials, "cloudfront");
    if (!auth.ok) return fail(auth.error, { authFailure: auth.why });
    const distributionId = decodeURIComponent(m[1] as string);
    const invalidationId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const action: CloudFrontAction | undefined =
      request.method === "POST" && invalidationId === undefined
        ? "cloudfront:CreateInvalidation"
        : request.method === "GET"
          ? invalidationId === undefined
            ? "cloudfront:ListInvalidations"
            : "cloudfront:GetInvalidation"
          : undefined;
    if (action === undefined)
      return fail({ status: 405, code: "MethodNotAllowed", message: `${request.method} is not allowed on ${request.path}` });
    const identity = auth.credential;
    const arn = identity.arn ?? `arn:aws:iam::${identity.accountId}:user/edgeplane-sandbox`;
    const resource = `arn:aws:cloudfront::${identity.accountId}:distribution/${distributionId}`;
    if (
      !(identity.actions ?? ALL_ACTIONS).includes(action) ||
      (identity.distributionIds !== undefined && !identity.distributionIds.includes(distributionId))
    ) {
      return fail(
        {
          status: 403,
          code: "AccessDenied",
          message: `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
        },
        { authFailure: "access_denied" },
      );
    }
    const distribution = distributions.get(distributionId);
    if (!distribution)
      return fail({ status: 404, code: "NoSuchDistribution", message: "The specified distribution does not exist." });

    if (action === "cloudfront:GetInvalidation") {
      const inv = state.invalidations.find((i) => i.distributionId === distributionId && i.id === invalidationId);
      if (!inv) return fail({ status: 404, code: "NoSuchInvalidation", message: "The specified invalidation does not exist." });
      return xmlAnswer(200, invalidationXml(inv, request.nowMs), requestId);
    }
    if (action === "cloudfront:ListInvalidations") {
      const maxItemsText = request.query.get("MaxItems") ?? "100";
      const maxItems = Number(maxItemsText);
      if (!/^\d+$/.test(maxItemsText) || maxItems < 1 || maxItems > 1000) {
        return fail({
          status: 400,
          code: "InvalidArgument",
          message: `MaxItems must be an integer from 1 to 1000, got "${maxItemsText}"`,
        });
      }
      const marker = request.query.get("Marker") ?? "";
      const all = state.invalidations.filter((i) => i.distributionId === distributionId).reverse();
      const start = marker === "" ? 0 : all.findIndex((i) => i.id === marker) + 1;
      const page = all.slice(start, start + maxItems);
      const truncated = start + maxItems < all.length;
      const summaries = page.map((i) =>
        el("InvalidationSummary", [
          el("Id", i.id),
          el("CreateTime", isoTime(i.createdMs)),
          el("Status", request.nowMs >= i.completesMs ? "Completed" : "InProgress"),
        ]),
      );
      return xmlAnswer(
        200,
        `<InvalidationList xmlns="${CLOUDFRONT_NAMESPACE}">` +
          el("Marker", marker) +
          (truncated ? el("NextMarker", (page[page.length - 1] as CloudFrontInvalidationRecord).id) : "") +
          el("MaxItems", maxItems) +
          el("IsTruncated", truncated) +
          el("Quantity", page.length) +
          (page.length > 0 ? el("Items", summaries) : "") +
          "</InvalidationList>",
        requestId,
      );
    }

    // CreateInvalidation
    if (request.body.length === 0) {
      return fail({
        status: 400,
        code: "MissingBody",
        message: "This operation requires a body. Ensure that the body is present and the Content-Type header is set.",
      });
    }
    let batch: XmlElement;
    try {
      batch = parseXml(request.body.toString("utf8"));
    } catch (error) {
      return fail({ status: 400, code: "MalformedInput", message: `The XML is not well-formed: ${(error as Error).message}` });
    }
    const pathsEl = batch.name === "InvalidationBatch" ? child(batch, "Paths") : undefined;
    const quantityText = pathsEl ? child(pathsEl, "Quantity")?.text.trim() : undefined;
    const callerReference = child(batch, "CallerReference")?.text;
    if (!pathsEl || quantityText === undefined || !/^\d+$/.test(quantityText)) {
      return fail({
        status: 400,
        code: "MalformedInput",
        message: "The body must be an InvalidationBatch with Paths/Quantity (an integer) and CallerReference",
      });
    }
    if (callerReference === undefined || callerReference === "")
      return fail({ status: 400, code: "InvalidArgument", message: "CallerReference must be a non-empty string" });
    const items = child(pathsEl, "Items");
    const paths = (items?.children ?? []).map((p) => p.text);
    if ((items?.children ?? []).some((p) => p.name !== "Path"))
      return fail({ status: 400, code: "MalformedInput", message: "Paths/Items may only hold Path elements" });
    if (Number(quantityText) !== paths.length) {
      return fail({
        status: 400,
        code: "InconsistentQuantities",
        message: `The value of Quantity (${quantityText}) and the size of Items (${paths.length}) don't match.`,
      });
    }
    if (paths.length === 0)
      return fail({ status: 400, code: "InvalidArgument", message: "An invalidation batch needs at least one path" });

    const earlier = state.invalidations.find((i) => i.distributionId === distributionId && i.callerReference === callerReference);
    if (earlier) {
      const same = [...earlier.paths].sort().join("\n") === [...paths].sort().join("\n");
      if (same) {
        return xmlAnswer(201, invalidationXml(earlier, request.nowMs), requestId, {
          Location: `http://${headerValue(request.headers, "host") ?? ""}/2020-05-31/distribution/${distributionId}/invalidation/${earlier.id}`,
        });
      }
      return conflict === "InvalidArgument"
        ? fail({
            status: 400,
            code: "InvalidArgument",
            message:
              "Your request contains a caller reference that was used for a previous invalidation batch for the same distribution.",
          })
        : fail({
            status: 409,
            code: "InvalidationBatchAlreadyExists",
            message: `The caller reference ${callerReference} was already used for invalidation ${earlier.id} with different paths.`,
          });
    }
    for (const path of paths) {
      const problem = checkPath(path, distribution.cacheTags === true);
      if (problem) return fail({ status: 400, code: "InvalidArgument", message: problem });
    }
    const wildcards = paths.filter(isWildcard).length;
    if (paths.length - wildcards > maxPaths) {
      return fail({
        status: 413,
        code: "BatchTooLarge",
        message: `The batch has ${paths.length - wildcards} paths; at most ${maxPaths} may be in progress per distribution.`,
      });
    }
    const current = inProgress(distributionId, request.nowMs);
    if (current.paths + paths.length - wildcards > maxPaths || current.wildcards + wildcards > maxWildcards) {
      return fail({
        status: 400,
        code: "TooManyInvalidationsInProgress",
        message: "Processing your request will cause you to exceed the maximum number of in-progress invalidations.",
      });
    }
    if (options.createRate) {
      let bucket = rateBuckets.get(identity.accountId);
      if (!bucket) {
        bucket = new TokenBucket(
          { capacity: options.createRate.capacity, refillPerSecond: options.createRate.refillPerSecond * timeScale },
          startMs,
        );
        rateBuckets.set(identity.accountId, bucket);
      }
      if (!bucket.tryTake(1, request.nowMs)) return fail({ status: 400, code: "Throttling", message: "Rate exceeded" });
    }
    const inv: CloudFrontInvalidationRecord = {
      id: newInvalidationId(),
      distributionId,
      callerReference,
      paths,
      createdMs: request.nowMs,
      completesMs: request.nowMs + completionMs,
      accessKeyId: identity.accessKeyId,
    };
    state.invalidations.push(inv);
    const after = { paths: current.paths + paths.length - wildcards, wildcards: current.wildcards + wildcards };
    const peak = state.peakInProgress[distributionId] ?? { paths: 0, wildcards: 0 };
    state.peakInProgress[distributionId] = {
      paths: Math.max(peak.paths, after.paths),
      wildcards: Math.max(peak.wildcards, after.wildcards),
    };
    return xmlAnswer(201, invalidationXml(inv, request.nowMs), requestId, {
      Location: `http://${headerValue(request.headers, "host") ?? ""}/2020-05-31/distribution/${distributionId}/invalidation/${inv.id}`,
    });
  };

  const sts = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    const requestId = randomUUID();
    const fail = (spec: ErrorSpec, extra: Partial<EmulatorResponse> = {}): EmulatorResponse => ({
      ...errorXml(STS_NAMESPACE, spec, requestId),
      ...extra,
    });
    const params = new URLSearchParams(request.method === "POST" ? request.body.toString("utf8") : request.query.toString());
    const auth = await checkSignature(request, credentials, "sts");
    if (!auth.ok) return fail(auth.error, { authFailure: auth.why });
    const action = params.get("Action");
    if (action !== "GetCallerIdentity") {
      return fail({
        status: 400,
        code: "InvalidAction",
        message: `Could not find operation ${action ?? "(none)"} for version ${params.get("Version") ?? "(none)"}; the emulator has GetCallerIdentity only`,
      });
    }
    if (params.get("Version") !== "2011-06-15")
      return fail({
        status: 400,
        code: "InvalidAction",
        message: `Version must be 2011-06-15, got ${params.get("Version") ?? "(none)"}`,
      });
    const c = auth.credential;
    state.identityCalls++;
    return xmlAnswer(
      200,
      `<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}">` +
        el("GetCallerIdentityResult", [
          el("Arn", c.arn ?? `arn:aws:iam::${c.accountId}:user/edgeplane-sandbox`),
          el("UserId", `AIDA${c.accessKeyId.slice(4, 21).toUpperCase()}`),
          el("Account", c.accountId),
        ]) +
        el("ResponseMetadata", [el("RequestId", requestId)]) +
        "</GetCallerIdentityResponse>",
      requestId,
    );
  };

  const handle = (request: EmulatorRequest): Promise<EmulatorResponse> =>
    request.path === "/" ? sts(request) : cloudFront(request);

  const faultResponse = (fault: CdnFault & { status: number }, request: EmulatorRequest): EmulatorResponse => {
    const namespace = request.path === "/" ? STS_NAMESPACE : CLOUDFRONT_NAMESPACE;
    const code =
      typeof fault.errorCode === "string"
        ? fault.errorCode
        : fault.status === 503
          ? "ServiceUnavailable"
          : fault.status >= 500
            ? "InternalError"
            : fault.status === 429 || fault.status === 400
              ? "Throttling"
              : "InjectedFault";
    const message =
      code === "ServiceUnavailable"
        ? "CloudFront encountered an internal error. Please try again."
        : code === "Throttling"
          ? "Rate exceeded"
          : `Injected fault: status ${fault.status}`;
    const headers: Record<string, string> =
      fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {};
    return errorXml(namespace, { status: fault.status, code, message }, randomUUID(), headers);
  };

  const server = await startLoopbackServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    now,
    requests: state.requests,
    handle,
    faultResponse,
  });
  return { ...server, state };
}
