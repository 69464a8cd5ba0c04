/**
 * Akamai Fast Purge as a CdnProvider, over the existing purge core (core/purge): the same object checks
 * (checkUrl/checkCpCode/checkTag), the same packing (planBatches: ≤ 50,000-byte bodies, per-type object caps),
 * the same account bucket model (PurgeBuckets) and the same answer rules as sender.ts. Nothing there changes, so
 * Akamai's figures stay as they are.
 *
 * Wire requests carry the path (`/ccu/v3/<action>/<type>/<network>`) as `url`: send them with akamaiTransport
 * over the EdgeGrid-signing PurgeHttp, which knows the credential's host.
 */
import {
  type AllowedHostnames,
  checkCpCode,
  checkTag,
  checkUrl,
  describe,
  MAX_TAG_LENGTH,
  type ObjectCheck,
  parseAllowedHostnames,
  parsePurgeAction,
  parsePurgeNetwork,
  type PurgeAction,
  type PurgeNetwork,
  type PurgeObject,
  type PurgeType,
} from "../purge/objects";
import { MAX_BODY_BYTES, MAX_OBJECTS_PER_REQUEST, planBatches, purgePath } from "../purge/planner";
import { PurgeBuckets } from "../purge/rate-limit";
import { DEFAULT_THROTTLE_WAIT_MS, type PurgeHttp, readProblem } from "../purge/sender";
import { asRecord, header, parseJson } from "./http-answers";
import { type Check, groupByType, validateWith } from "./objects";
import type {
  AcceptedObject,
  CdnAnswer,
  CdnClassification,
  CdnObjectInput,
  CdnObjectType,
  CdnPacer,
  CdnProvider,
  CdnTransport,
  CdnValidation,
  HttpWireRequest,
  PlannedRequest,
  ReasonCode,
} from "./types";

export interface AkamaiProviderConfig {
  action: PurgeAction;
  network: PurgeNetwork;
  /** The environment's allowed hostnames for URL purges. */
  allowedHostnames: readonly string[];
}

/** `{"objects":[]}` is 14 bytes; the first object has no comma before it. */
const MAX_OBJECT_JSON_BYTES = MAX_BODY_BYTES - 14;
const AKAMAI_TYPES: readonly PurgeType[] = ["url", "tag", "cpcode"];

function asPurgeType(type: CdnObjectType): PurgeType | undefined {
  return (AKAMAI_TYPES as readonly string[]).includes(type) ? (type as PurgeType) : undefined;
}

/** Reason codes for the messages of core/purge/objects.ts checks (their wording is the detail). */
function reasonFor(type: PurgeType, reason: string): ReasonCode {
  if (type === "url") return /is not allowed in this environment/.test(reason) ? "hostNotServed" : "invalidUrl";
  if (type === "tag") return reason.includes(`the limit is ${MAX_TAG_LENGTH}`) ? "tagTooLong" : "invalidTag";
  return "invalidCpCode";
}

export function createAkamaiProvider(config: AkamaiProviderConfig): CdnProvider {
  const action = parsePurgeAction(config.action);
  const network = parsePurgeNetwork(config.network);
  const allowed: AllowedHostnames = parseAllowedHostnames(config.allowedHostnames);
  const objectTypes: CdnObjectType[] = ["url", "tag", "cpcode"];
  const maxItemsPerRequest: Partial<Record<CdnObjectType, number>> = { ...MAX_OBJECTS_PER_REQUEST };

  const check = (type: CdnObjectType, value: unknown): Check => {
    const purgeType = asPurgeType(type) as PurgeType;
    const result: ObjectCheck<PurgeObject> =
      purgeType === "url" ? checkUrl(value, allowed) : purgeType === "cpcode" ? checkCpCode(value) : checkTag(value);
    if (!result.ok) return { ok: false, reason: reasonFor(purgeType, result.reason), detail: result.reason };
    const bytes = Buffer.byteLength(JSON.stringify(result.value), "utf8");
    if (bytes > MAX_OBJECT_JSON_BYTES) {
      return {
        ok: false,
        reason: "objectTooLarge",
        detail: `object is ${bytes} bytes as JSON; one request body holds at most ${MAX_OBJECT_JSON_BYTES}`,
      };
    }
    return { ok: true, value: result.value, item: result.value };
  };

  const body = (request: PlannedRequest) => JSON.stringify({ objects: request.items });

  return {
    cdn: "akamai",
    objectTypes,
    limits: { maxItemsPerRequest },
    // sendBatches sends one batch at a time: the buckets are account-wide.
    maxParallel: 1,

    validate(objects: readonly CdnObjectInput[]): CdnValidation {
      // Same merging as validateObjects: one Set of values per type ("12345" and 12345 are one CP code).
      return validateWith(
        "akamai",
        objectTypes,
        objects,
        check,
        (type, item) => `${type}\u0000${typeof item}\u0000${String(item)}`,
      );
    },

    plan(accepted: readonly AcceptedObject[]): PlannedRequest[] {
      const requests: PlannedRequest[] = [];
      for (const [type, group] of groupByType(accepted)) {
        const purgeType = asPurgeType(type);
        if (purgeType === undefined) throw new RangeError(`akamai cannot plan ${describe(type)} objects`);
        const byValue = new Map<PurgeObject, AcceptedObject>(group.map((o) => [o.item, o]));
        const plan = planBatches({ type: purgeType, action, network, objects: group.map((o) => o.item) });
        if (plan.rejected.length > 0) {
          throw new RangeError(`planBatches rejected validated objects: ${plan.rejected.map((r) => r.reason).join("; ")}`);
        }
        for (const batch of plan.batches) {
          requests.push({
            cdn: "akamai",
            type,
            objects: batch.objects.map((value) => byValue.get(value) as AcceptedObject),
            items: batch.objects,
          });
        }
      }
      return requests;
    },

    /** A lower bound (bytes and object caps); planBatches' first-fit packing can use slightly more. */
    minimumRequests(accepted: readonly AcceptedObject[]): number {
      let total = 0;
      for (const [type, group] of groupByType(accepted)) {
        let cost = 0;
        for (const o of group) cost += Buffer.byteLength(JSON.stringify(o.item), "utf8") + 1;
        total += Math.max(
          Math.ceil(cost / (MAX_OBJECT_JSON_BYTES + 1)),
          Math.ceil(group.length / (maxItemsPerRequest[type] ?? 1)),
        );
      }
      return total;
    },

    checkRequest(request: PlannedRequest): string | undefined {
      if (typeof request !== "object" || request === null || request.cdn !== "akamai")
        return "request must be a planned akamai request";
      const purgeType = asPurgeType(request.type);
      if (purgeType === undefined) return `akamai has no ${describe(request.type)} requests`;
      if (!Array.isArray(request.items) || request.items.length === 0) return "request has no items";
      if (request.items.length > MAX_OBJECTS_PER_REQUEST[purgeType]) {
        return `request has ${request.items.length} ${purgeType} objects; a request holds at most ${MAX_OBJECTS_PER_REQUEST[purgeType]}`;
      }
      const bytes = Buffer.byteLength(body(request), "utf8");
      if (bytes > MAX_BODY_BYTES) return `request body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (TD-purge 413)`;
      return undefined;
    },

    buildRequest(request: PlannedRequest): HttpWireRequest {
      const purgeType = asPurgeType(request.type);
      if (purgeType === undefined) throw new RangeError(`akamai has no ${describe(request.type)} requests`);
      return {
        kind: "http",
        method: "POST",
        url: purgePath(action, purgeType, network),
        headers: { "Content-Type": "application/json" },
        body: body(request),
      };
    },

    classify(_request: PlannedRequest, answer: CdnAnswer): CdnClassification {
      return classifyAkamai(answer);
    },

    createPacer(now: () => number): CdnPacer {
      const buckets = new PurgeBuckets({ now });
      const typeOf = (request: PlannedRequest) => asPurgeType(request.type) as PurgeType;
      return {
        waitMs: (request) => buckets.waitTimeFor(typeOf(request), request.items.length),
        take: (request) => buckets.take(typeOf(request), request.items.length),
        refund: (request) => buckets.refund(typeOf(request), request.items.length),
        observe: (request, answer) => {
          if (answer.kind === "http") buckets.correctFromHeaders(typeOf(request), answer.headers);
        },
      };
    },
  };
}

/** The answer rules of core/purge/sender.ts, as a classification. */
export function classifyAkamai(answer: CdnAnswer): CdnClassification {
  if (answer.kind !== "http")
    return { kind: "failed", reason: "malformedResponse", detail: `akamai got a ${answer.kind} answer` };
  const { status } = answer;
  const problem = readProblem(answer.body);
  const detail = problem.detail ?? problem.title ?? `HTTP ${status}`;
  if (status === 201) {
    const record = asRecord(parseJson(answer.body));
    const purgeId = record?.purgeId;
    if (typeof purgeId === "string" && purgeId.length > 0) {
      const estimated = record?.estimatedSeconds;
      const supportId = record?.supportId;
      const notes = [
        typeof estimated === "number" ? `estimatedSeconds ${estimated}` : "",
        typeof supportId === "string" ? `supportId ${supportId}` : "",
      ].filter(Boolean);
      return { kind: "done", cdnId: purgeId, ...(notes.length > 0 ? { detail: notes.join(", ") } : {}) };
    }
    return {
      kind: "failed",
      reason: "malformedResponse",
      status,
      detail:
        "Akamai answered 201 but the body has no purgeId; the purge may have been accepted: check with Akamai support before sending it again",
    };
  }
  if (status === 429) {
    // TD-purge: a denied request costs no tokens; wait as the Seconds-To-Refresh headers say (or 5 s).
    const seconds = ["x-ratelimit-seconds-to-refresh-limit", "x-ratelimit-seconds-to-refresh-limit-objects"]
      .map((name) => header(answer.headers, name))
      .filter((v): v is string => v !== undefined && /^[0-9]+(?:\.[0-9]+)?$/.test(v))
      .map(Number)
      .filter((v) => v <= 3600);
    const afterMs = seconds.length > 0 ? Math.max(...seconds) * 1000 : DEFAULT_THROTTLE_WAIT_MS;
    return { kind: "retry", cause: "throttled", afterMs, status, detail, refund: true };
  }
  if (status >= 500 && status <= 599) return { kind: "retry", cause: "serverError", status, detail };
  if (status === 401) return { kind: "failed", reason: "credentialRejected", status, detail };
  if (status >= 400 && status <= 499) return { kind: "failed", reason: "rejected", status, detail };
  return { kind: "failed", reason: "malformedResponse", status, detail: `unexpected HTTP ${status} from Fast Purge: ${detail}` };
}

/** Sends akamai wire requests through the EdgeGrid-signed PurgeHttp (its errors keep their `retryable` flag). */
export function akamaiTransport(purgeHttp: PurgeHttp): CdnTransport {
  return async (request) => {
    if (request.kind !== "http") throw new TypeError(`the akamai transport cannot send ${request.kind} requests`);
    const response = await purgeHttp.post(request.url, request.body ?? "");
    const body = typeof response.body === "string" ? response.body : JSON.stringify(response.body ?? null);
    return { kind: "http", status: response.status, headers: response.headers ?? {}, body };
  };
}
