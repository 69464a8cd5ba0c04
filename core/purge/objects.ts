/**
 * Validation of Fast Purge objects before anything is sent.
 *
 * Akamai fails a whole request when one object in it is bad (TD-purge api-errors), so every object is
 * checked here first and bad ones are reported one by one instead of sinking a batch.
 *
 * Normalisation, all of it (nothing else is changed):
 * - URLs: the scheme and the host are lower-cased (both are case-insensitive, RFC 3986 §3.1 and §3.2.2),
 *   so that allow-list matching and de-duplication are well defined. Path and query are kept byte for byte:
 *   they are case-sensitive parts of the cache key.
 * - CP codes given as digit strings (CLI input such as "12345") become integers: the API wants integers.
 * - Tags are kept exactly as given (they are case-sensitive).
 */

import { EdgeplaneError } from "../errors";

export const PURGE_TYPES = ["url", "cpcode", "tag"] as const;
export type PurgeType = (typeof PURGE_TYPES)[number];

export const PURGE_ACTIONS = ["invalidate", "delete"] as const;
export type PurgeAction = (typeof PURGE_ACTIONS)[number];

export const PURGE_NETWORKS = ["staging", "production"] as const;
export type PurgeNetwork = (typeof PURGE_NETWORKS)[number];

/** A URL or tag (string) or a CP code (integer), as it goes into the request body. */
export type PurgeObject = string | number;

/** TD-purge purge-content-cache-tag: at most 128 characters. */
export const MAX_TAG_LENGTH = 128;

/** Bad input to a purge function; `field` names the input that was wrong. */
export class PurgeInputError extends EdgeplaneError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message, "purgeInput");
    this.name = "PurgeInputError";
    this.field = field;
  }
}

export function parsePurgeType(value: unknown, field = "type"): PurgeType {
  return parseChoice(value, PURGE_TYPES, field);
}

export function parsePurgeAction(value: unknown, field = "action"): PurgeAction {
  return parseChoice(value, PURGE_ACTIONS, field);
}

export function parsePurgeNetwork(value: unknown, field = "network"): PurgeNetwork {
  return parseChoice(value, PURGE_NETWORKS, field);
}

function parseChoice<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new PurgeInputError(field, `${field} must be one of ${allowed.join(", ")}; got ${describe(value)}`);
}

/** The result of checking one object: the value to send, or why it cannot be sent. */
export type ObjectCheck<T> = { ok: true; value: T } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------------
// Allowed hostnames

/** An environment's allowed hostnames, parsed: exact names and `*.example.com` suffixes. */
export interface AllowedHostnames {
  readonly exact: ReadonlySet<string>;
  /** For `*.example.com` this holds `.example.com`: it matches subdomains at any depth, never the apex. */
  readonly suffixes: readonly string[];
  /** The entries as configured, for error messages. */
  readonly entries: readonly string[];
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const MAX_HOSTNAME_LENGTH = 253;

function isHostname(value: string): boolean {
  return value.length <= MAX_HOSTNAME_LENGTH && HOSTNAME.test(value);
}

/**
 * Parses allow-list entries. Entries are lower-case hostnames (`www.example.com`) or wildcards
 * (`*.example.com`, at least two labels after `*.`). Anything else is a configuration error.
 */
export function parseAllowedHostnames(entries: readonly string[], field = "allowedHostnames"): AllowedHostnames {
  if (!Array.isArray(entries)) {
    throw new PurgeInputError(field, `${field} must be an array of hostnames; got ${describe(entries)}`);
  }
  const exact = new Set<string>();
  const suffixes: string[] = [];
  entries.forEach((entry: unknown, i) => {
    const where = `${field}[${i}]`;
    if (typeof entry !== "string") {
      throw new PurgeInputError(where, `${where} must be a hostname string; got ${describe(entry)}`);
    }
    const wildcard = entry.startsWith("*.");
    const name = wildcard ? entry.slice(2) : entry;
    if (!isHostname(name) || (wildcard && !name.includes("."))) {
      throw new PurgeInputError(
        where,
        `${where} is ${JSON.stringify(entry)}; expected a lower-case hostname like www.example.com ` +
          `or a wildcard like *.example.com (which matches subdomains only)`,
      );
    }
    if (wildcard) suffixes.push(`.${name}`);
    else exact.add(name);
  });
  return { exact, suffixes, entries: [...entries] };
}

/** `host` must already be lower case. */
export function isHostnameAllowed(host: string, allowed: AllowedHostnames): boolean {
  return allowed.exact.has(host) || allowed.suffixes.some((suffix) => host.endsWith(suffix));
}

// ---------------------------------------------------------------------------------------------------
// URLs

// scheme "://" authority rest; authority ends at the first "/", "?" or "#" (RFC 3986 §3.2).
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
const PORT = /^[1-9][0-9]{0,4}$/;

/**
 * Checks one URL against the environment's allowed hostnames. Returns the URL with its scheme and host
 * lower-cased (see the file comment); everything else must already be in its final, wire form.
 */
export function checkUrl(value: unknown, allowed: AllowedHostnames | "any"): ObjectCheck<string> {
  if (typeof value !== "string") return fail(`expected a URL string; got ${describe(value)}`);
  if (value.length === 0) return fail("URL is empty; expected an absolute http:// or https:// URL");

  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) {
      return fail(
        `URL contains ${code === 0x20 ? "a space" : "a control character"} (U+${hex4(code)}) at position ${i}; ` +
          `whitespace and control characters are not allowed (percent-encode them, e.g. %20 for a space)`,
      );
    }
    if (code > 0x7e) {
      const char = String.fromCodePoint(value.codePointAt(i) ?? code);
      if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
        return fail(`URL contains an unpaired UTF-16 surrogate (U+${hex4(code)}) at position ${i}; it is not text`);
      }
      return fail(
        `URL contains the non-ASCII character ${JSON.stringify(char)} at position ${i}; Akamai rejects ` +
          `non-ASCII URLs (TD-purge 400): percent-encode it as UTF-8 (${percentEncode(char)})`,
      );
    }
  }
  if (value.includes("#")) {
    return fail('URL has a fragment ("#..."); fragments are not part of the cache key: remove it');
  }
  if (value.includes("\\")) {
    return fail('URL contains a backslash; it is ambiguous (browsers read it as "/"): use "/" or %5C');
  }

  const parts = URL_PARTS.exec(value);
  const scheme = parts?.[1]?.toLowerCase();
  if (!parts || (scheme !== "http" && scheme !== "https")) {
    return fail("URL must be absolute and start with http:// or https://");
  }
  const authority = parts[2] ?? "";
  const rest = parts[3] ?? "";
  if (authority.includes("@")) {
    return fail('URL contains user information ("...@"); it is not allowed in purge URLs');
  }
  const colon = authority.indexOf(":");
  const rawHost = colon === -1 ? authority : authority.slice(0, colon);
  const port = colon === -1 ? undefined : authority.slice(colon + 1);
  const host = rawHost.toLowerCase();
  if (!isHostname(host)) {
    return fail(
      `URL host ${JSON.stringify(rawHost)} is not a valid hostname (dot-separated labels of letters, digits ` +
        `and hyphens, at most 253 characters)`,
    );
  }
  if (port !== undefined && !(PORT.test(port) && Number(port) <= 65535)) {
    return fail(`URL port ${JSON.stringify(port)} is not valid; expected a number from 1 to 65535`);
  }
  if (allowed !== "any" && !isHostnameAllowed(host, allowed)) {
    return fail(`host ${JSON.stringify(host)} is not allowed in this environment; allowed: ${listEntries(allowed)}`);
  }
  return { ok: true, value: `${scheme}://${host}${port === undefined ? "" : `:${port}`}${rest}` };
}

function listEntries(allowed: AllowedHostnames): string {
  if (allowed.entries.length === 0) return "(none configured)";
  const shown = allowed.entries.slice(0, 10).join(", ");
  const more = allowed.entries.length - 10;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function percentEncode(char: string): string {
  return [...Buffer.from(char, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, "0");
}

// ---------------------------------------------------------------------------------------------------
// CP codes and tags

const CPCODE_DIGITS = /^[0-9]+$/;

/** CP codes: positive integers, as numbers or as strings of digits ("12345"). */
export function checkCpCode(value: unknown): ObjectCheck<number> {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 1) {
      return fail(`CP code must be a positive integer (1 or more); got ${describe(value)}`);
    }
    if (!Number.isSafeInteger(value)) return fail(`CP code ${value} is too large to be a CP code`);
    return { ok: true, value };
  }
  if (typeof value === "string") {
    if (!CPCODE_DIGITS.test(value)) {
      return fail(`CP code must be a positive integer written with digits only (e.g. "12345"); got ${JSON.stringify(value)}`);
    }
    if (value.length > 1 && value.startsWith("0")) {
      return fail(`CP code ${JSON.stringify(value)} has leading zeros; write it without them`);
    }
    const number = Number(value);
    if (number < 1) return fail(`CP code must be a positive integer (1 or more); got ${JSON.stringify(value)}`);
    if (!Number.isSafeInteger(number)) return fail(`CP code ${JSON.stringify(value)} is too large to be a CP code`);
    return { ok: true, value: number };
  }
  return fail(`expected a CP code as a number or a string of digits; got ${describe(value)}`);
}

// TD-purge purge-content-cache-tag: alphanumerics plus !#$%'+./^_`|~-
const TAG_CHAR = /[A-Za-z0-9!#$%'+./^_`|~-]/;
export const TAG_ALLOWED_CHARACTERS = "letters, digits and !#$%'+./^_`|~-";

/** Cache tags: 1–128 characters from the allowed set, kept exactly as given (case-sensitive). */
export function checkTag(value: unknown): ObjectCheck<string> {
  if (typeof value !== "string") return fail(`expected a cache tag string; got ${describe(value)}`);
  if (value.length === 0) return fail(`cache tag is empty; expected 1 to ${MAX_TAG_LENGTH} characters`);
  let position = 0;
  for (const char of value) {
    if (!TAG_CHAR.test(char)) {
      const shown = char.charCodeAt(0) < 0x21 || char === "\u007f" ? `U+${hex4(char.charCodeAt(0))}` : JSON.stringify(char);
      return fail(`cache tag contains ${shown} at position ${position}; allowed: ${TAG_ALLOWED_CHARACTERS}`);
    }
    position += char.length;
  }
  if (value.length > MAX_TAG_LENGTH) {
    return fail(`cache tag is ${value.length} characters long; the limit is ${MAX_TAG_LENGTH}`);
  }
  return { ok: true, value };
}

// ---------------------------------------------------------------------------------------------------
// Whole lists

export interface ValidateObjectsInput {
  type: PurgeType;
  objects: readonly unknown[];
  /**
   * Required for `url`: the environment's allowed hostnames (see parseAllowedHostnames), or "any" for a
   * direct purge without an allow-list (the credential's own Fast Purge permissions are the limit).
   */
  allowedHostnames?: readonly string[] | "any";
}

export interface RejectedObject {
  /** Position in the input list. */
  index: number;
  object: unknown;
  reason: string;
}

export interface ValidatedObjects {
  /** Valid objects in input order, each once (URLs with scheme and host lower-cased). */
  accepted: PurgeObject[];
  /** The input position of each accepted object (same order as `accepted`). */
  acceptedIndexes: number[];
  rejected: RejectedObject[];
  /** How many valid objects repeated an earlier one after validation (e.g. "12345" and 12345) and were merged. */
  duplicates: number;
}

/**
 * Splits `objects` into accepted and rejected. Every input is accounted for: it is accepted, rejected
 * with a reason, or counted in `duplicates` (accepted.length + rejected.length + duplicates === objects.length).
 */
export function validateObjects(input: ValidateObjectsInput): ValidatedObjects {
  const type = parsePurgeType(input.type);
  if (!Array.isArray(input.objects)) {
    throw new PurgeInputError("objects", `objects must be an array; got ${describe(input.objects)}`);
  }
  let check: (value: unknown) => ObjectCheck<PurgeObject>;
  if (type === "url") {
    if (input.allowedHostnames === undefined) {
      throw new PurgeInputError("allowedHostnames", "allowedHostnames is required to validate url objects");
    }
    const allowed = input.allowedHostnames === "any" ? "any" : parseAllowedHostnames(input.allowedHostnames);
    check = (value) => checkUrl(value, allowed);
  } else {
    check = type === "cpcode" ? checkCpCode : checkTag;
  }

  const accepted: PurgeObject[] = [];
  const acceptedIndexes: number[] = [];
  const rejected: RejectedObject[] = [];
  const seen = new Set<PurgeObject>();
  let duplicates = 0;
  input.objects.forEach((object: unknown, index) => {
    const result = check(object);
    if (!result.ok) {
      rejected.push({ index, object, reason: result.reason });
    } else if (seen.has(result.value)) {
      duplicates++;
    } else {
      seen.add(result.value);
      accepted.push(result.value);
      acceptedIndexes.push(index);
    }
  });
  return { accepted, acceptedIndexes, rejected, duplicates };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** A short description of a value for error messages (never the whole of a long string). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}... (${value.length} characters)` : JSON.stringify(value);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === "object" ? "an object" : typeof value;
}
