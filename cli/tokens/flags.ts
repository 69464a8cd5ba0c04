/**
 * A small command-line reader for `edgeplane tokens` and `edgeplane validate-credentials`, with the
 * purge command's rules (cli/purge/args.ts): `--flag value` or `--flag=value`; unknown flags, missing
 * values and repeated single flags are UsageErrors (exit 64) that name the flag and what it accepts;
 * "--" ends the flags.
 */
import { UsageError } from "../io";

export interface FlagSpec {
  /** e.g. "--edgerc". */
  name: string;
  /** What the value is, for messages ("an .edgerc file path"); absent for boolean flags. */
  value?: string;
  repeatable?: boolean;
}

export interface ParsedFlags {
  positionals: string[];
  /** Value flags: every value given, in order. */
  values: Map<string, string[]>;
  /** Boolean flags given. */
  booleans: Set<string>;
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const parsed: ParsedFlags = { positionals: [], values: new Map(), booleans: new Set() };
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (flagsEnded || !arg.startsWith("-") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      flagsEnded = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg === "-h" ? "--help" : eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown option "${name}"; options: ${specs.map((s) => s.name).join(", ")}`);
    if (spec.value === undefined) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value; got "${arg}"`);
      if (parsed.booleans.has(name)) throw new UsageError(`${name} was given more than once; give it once`);
      parsed.booleans.add(name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`${name} needs a value: ${spec.value}`);
      value = next;
      i++;
    }
    if (value === "") throw new UsageError(`${name} needs a value: ${spec.value}`);
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

export function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} "${value}" is not allowed; allowed: ${allowed.join(", ")}`);
}

/** Refuses flags that do not apply, naming why. */
export function refuseFlags(parsed: ParsedFlags, flags: readonly string[], why: string): void {
  for (const flag of flags) {
    if (parsed.values.has(flag) || parsed.booleans.has(flag)) throw new UsageError(`${flag} ${why}`);
  }
}

/** Positive EdgeWorker ids from repeatable flags (each may also be a comma-separated list). */
export function edgeWorkerIds(flag: string, values: readonly string[]): number[] {
  const ids: number[] = [];
  for (const part of values.flatMap((v) => v.split(",")).map((v) => v.trim())) {
    if (!/^[1-9]\d{0,11}$/.test(part)) throw new UsageError(`${flag} "${part}" is not an EdgeWorker id; expected a positive integer such as 4242`);
    ids.push(Number(part));
  }
  return [...new Set(ids)];
}
