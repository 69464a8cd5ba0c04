/**
 * Checks shared by the CDN providers: URLs against the hostnames a CDN serves, hostnames, the validation loop
 * (every input accepted, rejected with a reason, or merged as a duplicate) and chunked planning.
 */
import { type AllowedHostnames, describe, isHostnameAllowed, parseAllowedHostnames } from "../purge/objects";
import {
  type AcceptedObject,
  CDN_OBJECT_TYPES,
  type CdnName,
  type CdnObjectInput,
  type CdnObjectType,
  type CdnRejection,
  type CdnValidation,
  type PlannedRequest,
  type ReasonCode,
} from "./types";

export { describe };

export type Check =
  | { ok: true; value: string | number; item: string | number }
  | { ok: false; reason: ReasonCode; detail: string };

export function reject(reason: ReasonCode, detail: string): Check {
  return { ok: false, reason, detail };
}

/** Parses the hostnames a CDN serves (exact names and `*.example.com`), as the Akamai allow-list does. */
export function parseServedHostnames(entries: readonly string[], field: string): AllowedHostnames {
  return parseAllowedHostnames(entries, field);
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export function isHostname(value: string): boolean {
  return value.length <= 253 && HOSTNAME.test(value);
}

export interface ParsedUrl {
  scheme: "http" | "https";
  /** Lower case. */
  host: string;
  /** ":8080" or "". */
  port: string;
  /** Path and query exactly as given ("" when the URL has none). */
  rest: string;
  /** The URL with scheme and host lower-cased. */
  normalized: string;
}

// scheme "://" authority rest (RFC 3986 §3.2: the authority ends at the first "/", "?" or "#").
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
const PORT = /^[1-9][0-9]{0,4}$/;

/**
 * An absolute http(s) URL in wire form (printable ASCII, no fragment, no user info) whose host the CDN serves.
 * Scheme and host are lower-cased (case-insensitive, RFC 3986); path and query are kept byte for byte.
 */
export function checkServedUrl(
  value: unknown,
  served: AllowedHostnames,
  cdn: CdnName,
): { ok: true; url: ParsedUrl } | { ok: false; reason: ReasonCode; detail: string } {
  if (typeof value !== "string" || value.length === 0) {
    return { ok: false, reason: "invalidUrl", detail: `expected an absolute http:// or https:// URL; got ${describe(value)}` };
  }
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) {
      return {
        ok: false,
        reason: "invalidUrl",
        detail:
          `URL ${describe(value)} contains ${code === 0x20 ? "a space" : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`} ` +
          `at position ${i}; only printable ASCII is allowed: percent-encode it (UTF-8)`,
      };
    }
  }
  if (value.includes("#")) {
    return {
      ok: false,
      reason: "invalidUrl",
      detail: `URL ${describe(value)} has a fragment ("#..."); it is not part of the cache key: remove it`,
    };
  }
  const parts = URL_PARTS.exec(value);
  const scheme = parts?.[1]?.toLowerCase();
  if (!parts || (scheme !== "http" && scheme !== "https")) {
    return {
      ok: false,
      reason: "invalidUrl",
      detail: `URL ${describe(value)} must be absolute and start with http:// or https://`,
    };
  }
  const authority = parts[2] ?? "";
  if (authority.includes("@")) {
    return { ok: false, reason: "invalidUrl", detail: `URL ${describe(value)} contains user information ("...@"); not allowed` };
  }
  const colon = authority.indexOf(":");
  const host = (colon === -1 ? authority : authority.slice(0, colon)).toLowerCase();
  const port = colon === -1 ? undefined : authority.slice(colon + 1);
  if (!isHostname(host)) {
    return { ok: false, reason: "invalidUrl", detail: `URL ${describe(value)} has no valid hostname` };
  }
  if (port !== undefined && !(PORT.test(port) && Number(port) <= 65535)) {
    return { ok: false, reason: "invalidUrl", detail: `URL ${describe(value)} has an invalid port; expected 1 to 65535` };
  }
  if (!isHostnameAllowed(host, served)) {
    const list = served.entries.length === 0 ? "(none configured)" : served.entries.slice(0, 10).join(", ");
    return {
      ok: false,
      reason: "hostNotServed",
      detail: `host ${JSON.stringify(host)} is not served by ${cdn} in this environment; ${cdn} serves: ${list}`,
    };
  }
  const rest = parts[3] ?? "";
  const portPart = port === undefined ? "" : `:${port}`;
  return { ok: true, url: { scheme, host, port: portPart, rest, normalized: `${scheme}://${host}${portPart}${rest}` } };
}

/**
 * The validation loop every provider shares: type support, the per-type check, and de-duplication on the
 * wire item (per request type, as returned by `dedupKey`).
 */
export function validateWith(
  cdn: CdnName,
  supported: readonly CdnObjectType[],
  objects: readonly CdnObjectInput[],
  check: (type: CdnObjectType, value: unknown) => Check,
  dedupKey: (type: CdnObjectType, item: string | number, value: string | number) => string = (type, item) =>
    `${type}\u0000${String(item)}`,
  /** The types named in messages (provider.objectTypes); `supported` may also let through types that `check`
   * rejects with a more precise reason (e.g. tagsNotSupported, purgeAllNotAllowed). */
  advertised: readonly CdnObjectType[] = supported,
): CdnValidation {
  if (!Array.isArray(objects)) throw new TypeError(`objects must be an array of {type, value}; got ${describe(objects)}`);
  const accepted: AcceptedObject[] = [];
  const rejected: CdnRejection[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  objects.forEach((input: unknown, index) => {
    const record = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : undefined;
    const type = record?.type;
    const value = record?.value;
    if (typeof type !== "string" || !(CDN_OBJECT_TYPES as readonly string[]).includes(type)) {
      rejected.push({
        index,
        type,
        object: value,
        reason: "unsupportedType",
        detail: `object type ${describe(type)} is not known; ${cdn} accepts: ${advertised.join(", ")}`,
      });
      return;
    }
    const known = type as CdnObjectType;
    if (!supported.includes(known)) {
      rejected.push({
        index,
        type,
        object: value,
        reason: "unsupportedType",
        detail: `${cdn} cannot purge objects of type ${type} (as configured); it accepts: ${advertised.join(", ")}`,
      });
      return;
    }
    const result = check(known, value);
    if (!result.ok) {
      rejected.push({ index, type, object: value, reason: result.reason, detail: result.detail });
      return;
    }
    const key = dedupKey(known, result.item, result.value);
    if (seen.has(key)) {
      duplicates++;
      return;
    }
    seen.add(key);
    accepted.push({ index, type: known, value: result.value, item: result.item });
  });
  return { accepted, rejected, duplicates };
}

/** Groups accepted objects by type, keeping input order. */
export function groupByType(accepted: readonly AcceptedObject[]): Map<CdnObjectType, AcceptedObject[]> {
  const groups = new Map<CdnObjectType, AcceptedObject[]>();
  for (const object of accepted) {
    const group = groups.get(object.type);
    if (group === undefined) groups.set(object.type, [object]);
    else group.push(object);
  }
  return groups;
}

/** Consecutive chunks of at most `size` objects, one request each. */
export function chunkRequests(
  cdn: CdnName,
  type: CdnObjectType,
  objects: readonly AcceptedObject[],
  size: number,
): PlannedRequest[] {
  const requests: PlannedRequest[] = [];
  for (let start = 0; start < objects.length; start += size) {
    const chunk = objects.slice(start, start + size);
    requests.push({ cdn, type, objects: chunk, items: chunk.map((o) => o.item) });
  }
  return requests;
}

export function checkPositiveInteger(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${field} must be a positive integer; got ${describe(value)}`);
  }
  return value;
}

/** Checks the parts of a planned request every provider relies on. */
export function basicRequestProblem(
  cdn: CdnName,
  request: PlannedRequest,
  maxItems: Partial<Record<CdnObjectType, number>>,
): string | undefined {
  if (typeof request !== "object" || request === null) return "request must be a planned request object";
  if (request.cdn !== cdn) return `request is for ${describe(request.cdn)}, not ${cdn}`;
  if (!Array.isArray(request.objects) || request.objects.length === 0) return "request has no objects";
  if (!Array.isArray(request.items) || request.items.length === 0) return "request has no items";
  const cap = maxItems[request.type];
  if (cap === undefined) return `${cdn} has no ${describe(request.type)} requests`;
  if (request.items.length > cap) return `request has ${request.items.length} ${request.type} items; ${cdn} takes at most ${cap}`;
  return undefined;
}
