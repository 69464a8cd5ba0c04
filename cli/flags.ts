/**
 * The one command-line reader of every `edgeplane` command: each command declares its flags as a spec
 * (a list of FlagSpec, composed from shared pieces such as CREDENTIAL_FLAGS), and Node's `util.parseArgs`
 * splits the words. The rules, the same everywhere: `--flag value` or `--flag=value`; unknown flags,
 * missing or empty values, values on boolean flags and repeated single flags are UsageErrors (exit 64)
 * that name the flag and what it accepts; "--" ends the flags; "-" is a positional (standard input).
 */
import { parseArgs } from "node:util";
import { UsageError } from "./io";

export interface FlagSpec {
  /** The long name with its dashes, e.g. "--edgerc". */
  name: `--${string}`;
  /** What the value is, for messages ("an .edgerc file path"); absent for boolean flags. */
  value?: string;
  repeatable?: boolean;
  /** A one-letter alias, e.g. "h" for --help. */
  short?: string;
}

export interface ParsedFlags {
  /** Positionals in order; those after "--" are listed in `afterTerminator` as well. */
  positionals: string[];
  /** Indexes into `positionals` of the words that came after "--" (never flags, never "-" = stdin). */
  afterTerminator: Set<number>;
  /** Value flags: every value given, in order. */
  values: Map<string, string[]>;
  /** Boolean flags given. */
  booleans: Set<string>;
}

/** Flags shared by the commands that use an EdgeGrid credential directly. */
export const CREDENTIAL_FLAGS: readonly FlagSpec[] = [
  { name: "--edgerc", value: "an .edgerc file path" },
  { name: "--section", value: "an .edgerc section name (or the S of AKAMAI_S_* variables)" },
];

export const HELP_FLAG: FlagSpec = { name: "--help", short: "h" };

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name.slice(2), spec]));
  const byShort = new Map(specs.filter((spec) => spec.short !== undefined).map((spec) => [spec.short as string, spec]));
  const options: Record<string, { type: "string" | "boolean"; multiple: true; short?: string }> = {};
  for (const spec of specs) {
    options[spec.name.slice(2)] = {
      type: spec.value === undefined ? "boolean" : "string",
      multiple: true,
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  // strict: false so that every problem is reported here in the project's words, from the tokens.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const parsed: ParsedFlags = { positionals: [], afterTerminator: new Set(), values: new Map(), booleans: new Set() };
  const options_ = specs.map((s) => s.name).join(", ");
  let terminated = false;
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      terminated = true;
      continue;
    }
    if (token.kind === "positional") {
      if (terminated) parsed.afterTerminator.add(parsed.positionals.length);
      parsed.positionals.push(token.value);
      continue;
    }
    const spec = token.rawName.startsWith("--") ? byName.get(token.name) : byShort.get(token.rawName.slice(1));
    if (spec === undefined) {
      throw new UsageError(
        `unknown option "${token.rawName}"; options: ${options_} (an object that starts with "-" goes after "--")`,
      );
    }
    const name = spec.name;
    if (spec.value === undefined) {
      if (token.value !== undefined) throw new UsageError(`${name} takes no value; got "${name}=${token.value}"`);
      if (parsed.booleans.has(name)) throw new UsageError(`${name} was given more than once; give it once`);
      parsed.booleans.add(name);
      continue;
    }
    const value = token.value;
    // "--type --json": parseArgs takes the next flag as the value; a value may start with one "-", never "--".
    if (value === undefined || value === "" || (!token.inlineValue && value.startsWith("--") && value.length > 2)) {
      throw new UsageError(`${name} needs a value: ${spec.value}`);
    }
    const list = parsed.values.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`${name} was given more than once; give it once`);
    list.push(value);
    parsed.values.set(name, list);
  }
  return parsed;
}

/** The single value of a flag, if given. */
export function flagValue(parsed: ParsedFlags, name: string): string | undefined {
  return parsed.values.get(name)?.[0];
}

export function given(parsed: ParsedFlags, name: string): boolean {
  return parsed.values.has(name) || parsed.booleans.has(name);
}

export function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} "${value}" is not allowed; allowed: ${allowed.join(", ")}`);
}

/** Refuses flags that do not apply, naming why. */
export function refuseFlags(parsed: ParsedFlags, flags: readonly string[], why: string): void {
  for (const flag of flags) {
    if (given(parsed, flag)) throw new UsageError(`${flag} ${why}`);
  }
}

/** Positive EdgeWorker ids from repeatable flags (each may also be a comma-separated list). */
export function edgeWorkerIds(flag: string, values: readonly string[]): number[] {
  const ids: number[] = [];
  for (const part of values.flatMap((v) => v.split(",")).map((v) => v.trim())) {
    if (!/^[1-9]\d{0,11}$/.test(part))
      throw new UsageError(`${flag} "${part}" is not an EdgeWorker id; expected a positive integer such as 4242`);
    ids.push(Number(part));
  }
  return [...new Set(ids)];
}
