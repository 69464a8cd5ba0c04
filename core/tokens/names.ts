/**
 * Names of the tokens an environment declares: `<namePrefix>-<YYYYMMDD>[-n]` (UTC date of creation;
 * n = 2, 3, … when a name of that day is taken), at most 32 characters of [A-Za-z0-9_-] (the EdgeKV
 * limit). The config allows prefixes of at most 20 characters, so 29 characters are the date name and
 * n may go up to 99.
 *
 * The newest token of a prefix is the one with the latest date, then the highest n (no n = 1).
 */
import { TOKEN_NAME_PATTERN } from "../akamai/edgekv-tokens";

export const MAX_TOKEN_NAME_CHARS = 32;
export const MAX_NAME_SUFFIX = 99;

export interface ParsedTokenName {
  /** YYYYMMDD. */
  date: string;
  /** 1 when the name has no -n suffix. */
  n: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The date and counter of a token name made for `prefix`, or undefined when the name is not one of its. */
export function parseTokenName(prefix: string, name: string): ParsedTokenName | undefined {
  const match = new RegExp(`^${escapeRegExp(prefix)}-(\\d{8})(?:-(\\d{1,2}))?$`).exec(name);
  if (!match) return undefined;
  const n = match[2] === undefined ? 1 : Number(match[2]);
  if (match[2] !== undefined && (n < 2 || match[2].startsWith("0"))) return undefined;
  return { date: match[1] as string, n };
}

/** YYYYMMDD of an epoch-ms time, UTC. */
export function compactDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10).replace(/-/g, "");
}

/** `<prefix>-<YYYYMMDD>` for n = 1, else `<prefix>-<YYYYMMDD>-<n>`. */
export function datedTokenName(prefix: string, nowMs: number, n = 1): string {
  const name = `${prefix}-${compactDate(nowMs)}${n > 1 ? `-${n}` : ""}`;
  if (!TOKEN_NAME_PATTERN.test(name)) {
    throw new RangeError(
      `token name prefix "${prefix.slice(0, 40)}" gives an invalid name; prefixes are 1-20 characters of A-Z a-z 0-9 _ -`,
    );
  }
  return name;
}

/**
 * Candidate names for a new token of `prefix` today, in order: after the highest n among today's names
 * in `taken` (so a name freed by a revocation is not handed to another token the same day).
 */
export function* freeTokenNames(prefix: string, nowMs: number, taken: ReadonlySet<string>): Generator<string> {
  const today = compactDate(nowMs);
  let highest = 0;
  for (const name of taken) {
    const parsed = parseTokenName(prefix, name);
    if (parsed?.date === today) highest = Math.max(highest, parsed.n);
  }
  for (let n = highest + 1; n <= MAX_NAME_SUFFIX; n++) {
    const name = datedTokenName(prefix, nowMs, n);
    if (!taken.has(name)) yield name;
  }
}

/** Sort order: newest first (latest date, then highest n). Names that do not parse go last. */
export function compareNewestFirst(prefix: string): (a: { name: string }, b: { name: string }) => number {
  return (a, b) => {
    const pa = parseTokenName(prefix, a.name);
    const pb = parseTokenName(prefix, b.name);
    if (!pa || !pb) return pa ? -1 : pb ? 1 : 0;
    if (pa.date !== pb.date) return pa.date < pb.date ? 1 : -1;
    return pb.n - pa.n;
  };
}
