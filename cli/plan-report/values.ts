/**
 * Attribute-level differences of one resource change, with sensitive values masked and unknown values
 * shown as Terraform shows them. A value is masked when `before_sensitive` / `after_sensitive` marks it or
 * any of its parents; the plan JSON still holds the real value, so nothing here ever prints it.
 */
import type { Change, PathStep } from "./plan";
import { isRecord } from "./plan";

export const SENSITIVE = "(sensitive value)";
export const UNKNOWN = "(known after apply)";
const ABSENT = "(none)";
const MAX_VALUE_CHARS = 120;

export interface AttributeDiff {
  /** Readable path: `environment[0].variables.X`, with ` ▸ ` entering a JSON document held in a string. */
  path: string;
  /** The Terraform attribute path (without steps inside JSON documents), to match `replace_paths`. */
  steps: PathStep[];
  before: string;
  after: string;
  forcesReplacement: boolean;
}

interface Side {
  present: boolean;
  value: unknown;
  sensitive: unknown;
  unknown: unknown;
}

/** The attributes that differ between before and after (for a create: every attribute that gets a value). */
export function attributeDiffs(change: Change): AttributeDiff[] {
  const out: AttributeDiff[] = [];
  const before: Side = {
    present: change.before !== null && change.before !== undefined,
    value: change.before,
    sensitive: change.before_sensitive,
    unknown: undefined,
  };
  const after: Side = {
    present: change.after !== null && change.after !== undefined,
    value: change.after,
    sensitive: change.after_sensitive,
    unknown: change.after_unknown,
  };
  if (!before.present && !after.present && after.unknown !== true) return out;
  diffNode([], "", before, after, out, false);
  const replacePaths = change.replace_paths ?? [];
  for (const diff of out) diff.forcesReplacement = replacePaths.some((p) => isPrefix(p, diff.steps) || isPrefix(diff.steps, p));
  // A create lists what gets set: leave out attributes that stay empty.
  return before.present ? out : out.filter((d) => d.after !== "null" && d.after !== "[]" && d.after !== "{}");
}

/** The value at a Terraform attribute path, masked: for naming what forces a replacement. */
export function displayAt(value: unknown, sensitive: unknown, unknown: unknown, path: readonly PathStep[]): string {
  let v = value;
  let s = sensitive;
  let u = unknown;
  for (const step of path) {
    if (s === true) return SENSITIVE;
    if (u === true) return UNKNOWN;
    v = child(v, step);
    s = child(s, step);
    u = child(u, step);
  }
  if (s === true || containsTrue(s)) return SENSITIVE;
  if (u === true) return UNKNOWN;
  return v === undefined ? ABSENT : display(v);
}

export function formatPath(path: readonly PathStep[]): string {
  return path
    .map((step, i) =>
      typeof step === "number"
        ? `[${step}]`
        : i === 0
          ? step
          : /^[A-Za-z_][\w-]*$/.test(step)
            ? `.${step}`
            : `[${JSON.stringify(step)}]`,
    )
    .join("");
}

/** A value as one short line: JSON, cut at MAX_VALUE_CHARS. */
export function display(value: unknown): string {
  const text = value === undefined ? ABSENT : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function diffNode(steps: PathStep[], jsonPath: string, b: Side, a: Side, out: AttributeDiff[], insideJson: boolean): void {
  const path = () => (insideJson ? jsonPath : formatPath(steps));
  const push = (before: string, after: string) =>
    out.push({ path: path(), steps: [...steps], before, after, forcesReplacement: false });

  if (a.unknown === true) {
    push(b.present ? shown(b) : ABSENT, UNKNOWN);
    return;
  }
  if (b.sensitive === true || a.sensitive === true) {
    const changed = b.present !== a.present || !deepEqual(b.value, a.value) || (b.sensitive === true) !== (a.sensitive === true);
    if (changed) push(b.present ? shown(b) : ABSENT, a.present ? shown(a) : ABSENT);
    return;
  }
  if (isRecord(b.value) || isRecord(a.value)) {
    if (b.present && a.present && !(isRecord(b.value) && isRecord(a.value))) {
      push(shown(b), shown(a));
      return;
    }
    const bv = isRecord(b.value) ? b.value : {};
    const av = isRecord(a.value) ? a.value : {};
    const keys = new Set([...Object.keys(bv), ...Object.keys(av), ...unknownKeys(a.unknown)]);
    if (keys.size === 0) {
      if (!b.present || !a.present) push(b.present ? "{}" : ABSENT, a.present ? "{}" : ABSENT);
      return;
    }
    for (const key of [...keys].sort()) {
      diffNode(
        insideJson ? steps : [...steps, key],
        insideJson ? `${jsonPath}${jsonKey(jsonPath, key)}` : "",
        sideChild(b, key),
        sideChild(a, key),
        out,
        insideJson,
      );
    }
    return;
  }
  if (Array.isArray(b.value) || Array.isArray(a.value)) {
    if (b.present && a.present && !(Array.isArray(b.value) && Array.isArray(a.value))) {
      push(shown(b), shown(a));
      return;
    }
    const bv = Array.isArray(b.value) ? b.value : [];
    const av = Array.isArray(a.value) ? a.value : [];
    const length = Math.max(bv.length, av.length, Array.isArray(a.unknown) ? a.unknown.length : 0);
    if (length === 0) {
      if (!b.present || !a.present) push(b.present ? "[]" : ABSENT, a.present ? "[]" : ABSENT);
      return;
    }
    for (let i = 0; i < length; i++) {
      diffNode(
        insideJson ? steps : [...steps, i],
        insideJson ? `${jsonPath}[${i}]` : "",
        sideChild(b, i),
        sideChild(a, i),
        out,
        insideJson,
      );
    }
    return;
  }
  if (deepEqual(b.value, a.value) && b.present === a.present) return;
  const bj = b.present ? jsonDocument(b.value) : undefined;
  const aj = a.present ? jsonDocument(a.value) : undefined;
  if ((bj !== undefined || !b.present) && (aj !== undefined || !a.present) && (bj !== undefined || aj !== undefined)) {
    const prefix = `${path()} ▸ `;
    const before: Side = { present: bj !== undefined, value: bj, sensitive: undefined, unknown: undefined };
    const after: Side = { present: aj !== undefined, value: aj, sensitive: undefined, unknown: undefined };
    diffNode(steps, prefix, before, after, out, true);
    return;
  }
  push(b.present ? shown(b) : ABSENT, a.present ? shown(a) : ABSENT);
}

function unknownKeys(mask: unknown): string[] {
  return isRecord(mask) ? Object.keys(mask).filter((k) => containsTrue(mask[k])) : [];
}

function jsonKey(jsonPath: string, key: string): string {
  const plain = /^[A-Za-z_][\w-]*$/.test(key);
  if (jsonPath.endsWith(" ▸ ")) return plain ? key : JSON.stringify(key);
  return plain ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function shown(side: Side): string {
  if (side.sensitive === true || containsTrue(side.sensitive)) return SENSITIVE;
  if (side.unknown === true) return UNKNOWN;
  return display(side.value);
}

function sideChild(side: Side, step: PathStep): Side {
  const value = child(side.value, step);
  const unknown = child(side.unknown, step);
  return {
    present: side.present && (value !== undefined || unknown === true),
    value,
    sensitive: child(side.sensitive, step),
    unknown,
  };
}

function child(value: unknown, step: PathStep): unknown {
  if (value === true) return true; // a mask marking a whole subtree
  if (Array.isArray(value) && typeof step === "number") return value[step];
  if (isRecord(value)) return value[String(step)];
  return undefined;
}

/** A string that holds a JSON object or array (IAM policies, environment variables holding JSON). */
function jsonDocument(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!(text.startsWith("{") || text.startsWith("["))) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function containsTrue(mask: unknown): boolean {
  if (mask === true) return true;
  if (Array.isArray(mask)) return mask.some(containsTrue);
  if (isRecord(mask)) return Object.values(mask).some(containsTrue);
  return false;
}

function isPrefix(prefix: readonly PathStep[], path: readonly PathStep[]): boolean {
  return prefix.length <= path.length && prefix.every((step, i) => String(step) === String(path[i]));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
