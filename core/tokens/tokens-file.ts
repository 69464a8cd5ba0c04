/**
 * `edgekv_tokens.js`, the file EdgeKV's helper library (edgekv.js ≥ 0.6.2) imports from an EdgeWorker
 * bundle. Format (shared/reference/akamai-apis.md §2 and §4; TD-ekv create-a-code-bundle-2; CLI-EW
 * ekv-helper.ts; EWX edgekv.js):
 *
 *   var edgekv_access_tokens = {
 *     "namespace-<ns>": { "name": "<token name>", "value": "<JWT>" }        legacy tokens
 *     "namespace-<ns>": { "name": "<token name>", "reference": "<uuid>" }   enhanced tokens
 *   };
 *   export { edgekv_access_tokens };
 *
 * renderTokensFile is deterministic: keys sorted, two-space JSON, "\n" line ends, a final newline, so an
 * unchanged set of tokens gives the same bytes (and no new S3 object version).
 *
 * A legacy entry's value is a secret: nothing here puts it in an error message.
 */
import { edgeKvTokenKind, type EdgeKvToken } from "../akamai/edgekv-tokens";

export const TOKENS_FILE_NAME = "edgekv_tokens.js";
export const TOKENS_VARIABLE = "edgekv_access_tokens";
const NAMESPACE_KEY = /^namespace-([A-Za-z0-9_][A-Za-z0-9_-]{0,31})$/;
/** The file as written by us, by Akamai's CLI and by hand: `var X = {…}[;] export { X }[;]`. */
const FILE_SHAPE = /^\s*var\s+edgekv_access_tokens\s*=\s*(\{[\s\S]*\})\s*;?\s*export\s*\{\s*edgekv_access_tokens\s*\}\s*;?\s*$/;

/** One namespace's entry: exactly one of value (legacy) and reference (enhanced). */
export type TokensFileEntry =
  | { name: string; value: string; reference?: never }
  | { name: string; reference: string; value?: never };

/** namespace (without the "namespace-" prefix) → entry. */
export type TokensFileEntries = Record<string, TokensFileEntry>;

export class TokensFileError extends Error {
  override name = "TokensFileError";
}

/**
 * The entry a token gets: {name, value} for a legacy token (its value must be known: from create or
 * get), {name, reference: uuid} for an enhanced one.
 */
export function tokenEntry(
  token: Pick<EdgeKvToken, "name" | "uuid" | "value" | "expiry" | "tokenActivationStatus">,
): TokensFileEntry {
  if (edgeKvTokenKind(token) === "enhanced") return { name: token.name, reference: token.uuid };
  if (token.value === undefined || token.value === "") {
    throw new TokensFileError(`legacy token ${token.name} has no value here; read it with get token first`);
  }
  return { name: token.name, value: token.value };
}

/** The same entry for every namespace, e.g. one token that covers several namespaces. */
export function entriesFor(namespaces: Iterable<string>, entry: TokensFileEntry): TokensFileEntries {
  const entries: TokensFileEntries = {};
  for (const namespace of namespaces) entries[namespace] = { ...entry };
  return entries;
}

function canonicalEntry(entry: TokensFileEntry): Record<string, string> {
  return entry.value !== undefined
    ? { name: entry.name, value: entry.value }
    : { name: entry.name, reference: entry.reference as string };
}

/** The file text for the entries, deterministic (sorted by namespace). */
export function renderTokensFile(entries: TokensFileEntries): string {
  const object: Record<string, Record<string, string>> = {};
  for (const namespace of Object.keys(entries).sort()) {
    if (!NAMESPACE_KEY.test(`namespace-${namespace}`))
      throw new TokensFileError(`namespace "${namespace.slice(0, 40)}" is not a valid EdgeKV namespace name`);
    object[`namespace-${namespace}`] = canonicalEntry(entries[namespace] as TokensFileEntry);
  }
  return `var ${TOKENS_VARIABLE} = ${JSON.stringify(object, null, 2)};\nexport { ${TOKENS_VARIABLE} };\n`;
}

/**
 * Reads a tokens file written in the documented shape (ours, Akamai CLI's, or by hand if its object is
 * JSON). Throws TokensFileError naming what is wrong (never a value).
 */
export function parseTokensFile(text: string, source = TOKENS_FILE_NAME): TokensFileEntries {
  const match = FILE_SHAPE.exec(text);
  if (!match) throw new TokensFileError(`${source} is not "var ${TOKENS_VARIABLE} = {…}; export { ${TOKENS_VARIABLE} };"`);
  let object: unknown;
  try {
    object = JSON.parse(match[1] as string);
  } catch {
    throw new TokensFileError(
      `${source}: the ${TOKENS_VARIABLE} object is not JSON (quoted keys and strings, no trailing commas)`,
    );
  }
  if (typeof object !== "object" || object === null || Array.isArray(object))
    throw new TokensFileError(`${source}: ${TOKENS_VARIABLE} must be an object`);
  const entries: TokensFileEntries = {};
  for (const [key, raw] of Object.entries(object as Record<string, unknown>)) {
    const ns = NAMESPACE_KEY.exec(key);
    if (!ns) throw new TokensFileError(`${source}: key "${key.slice(0, 60)}" must be namespace-<namespace>`);
    const entry = raw as Record<string, unknown>;
    const valid =
      typeof entry === "object" &&
      entry !== null &&
      typeof entry.name === "string" &&
      (typeof entry.value === "string") !== (typeof entry.reference === "string") &&
      Object.keys(entry).every((k) => k === "name" || k === "value" || k === "reference");
    if (!valid) throw new TokensFileError(`${source}: ${key} must be {"name", "value"} or {"name", "reference"}`);
    entries[ns[1] as string] =
      typeof entry.value === "string"
        ? { name: entry.name as string, value: entry.value }
        : { name: entry.name as string, reference: entry.reference as string };
  }
  return entries;
}

export function sameEntry(a: TokensFileEntry | undefined, b: TokensFileEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.name === b.name && a.value === b.value && a.reference === b.reference;
}

/** True when every namespace of `wanted` has exactly that entry in `present` (other namespaces are ignored). */
export function entriesInclude(present: TokensFileEntries, wanted: TokensFileEntries): boolean {
  return Object.entries(wanted).every(([namespace, entry]) => sameEntry(present[namespace], entry));
}

/** `base` with `update`'s namespaces replaced or added; namespaces only in `base` are kept. */
export function mergeEntries(base: TokensFileEntries, update: TokensFileEntries): TokensFileEntries {
  return { ...base, ...update };
}

/** Token names the entries use (sorted, each once). */
export function tokenNamesIn(entries: TokensFileEntries): string[] {
  return [...new Set(Object.values(entries).map((e) => e.name))].sort();
}

/** "legacy" for value entries, "enhanced" for reference entries. */
export function entryKind(entry: TokensFileEntry): "legacy" | "enhanced" {
  return entry.value !== undefined ? "legacy" : "enhanced";
}
