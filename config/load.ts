/**
 * Validates environment configurations. One run reports every problem at once; each names the
 * environment, the field, the bad value and what is allowed.
 */
import type { z } from "zod";
import { environmentSchema, type EnvironmentConfig } from "./schema";

export interface ConfigProblem {
  environment: string;
  field: string;
  value: string;
  allowed: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid edgeplane configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - environment "${p.environment}", field ${p.field}: got ${p.value}; ${p.allowed}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Validates every environment; `inputs` maps the environment key (as used for the stack name) to its raw config. */
export function validateEnvironments(inputs: Record<string, unknown>): EnvironmentConfig[] {
  const problems: ConfigProblem[] = [];
  const valid: EnvironmentConfig[] = [];
  for (const [key, input] of Object.entries(inputs)) {
    const result = environmentSchema.safeParse(input, { reportInput: true });
    if (!result.success) {
      problems.push(...result.error.issues.flatMap((issue) => describeIssue(key, input, issue)));
      continue;
    }
    if (result.data.name !== key) {
      problems.push({
        environment: key,
        field: "name",
        value: show(result.data.name),
        allowed: `expected "${key}", the key it is registered under`,
      });
      continue;
    }
    valid.push(result.data);
  }
  problems.push(...crossEnvironmentProblems(valid));
  if (problems.length > 0) throw new ConfigError(problems);
  return valid;
}

function crossEnvironmentProblems(envs: EnvironmentConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const stateKeys = new Map<string, string>();
  for (const env of envs) {
    if (env.aws.backend.type !== "s3") continue;
    const location = `s3://${env.aws.backend.bucket}/${env.aws.backend.key}`;
    const other = stateKeys.get(location);
    if (other) {
      problems.push({
        environment: env.name,
        field: "aws.backend.key",
        value: show(env.aws.backend.key),
        allowed: `a state location not shared with environment "${other}"`,
      });
    }
    stateKeys.set(location, env.name);
  }
  return problems;
}

function describeIssue(environment: string, root: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => ({
      environment,
      field: formatPath([...issue.path, k]),
      value: "an unknown field",
      allowed: "remove it or fix its spelling (unknown fields are never ignored)",
    }));
  }
  // The value shown is the one at the reported path (never a whole parent object, which could hold secrets).
  const path = issue.path;
  const found = valueAt(root, path);
  const value = found.present ? found.value : undefined;
  return [
    {
      environment,
      field: formatPath(path),
      value:
        value === undefined
          ? "nothing (the field is missing)"
          : /secret|password|token/i.test(String(path.at(-1)))
            ? "(a value, hidden)"
            : show(value),
      allowed: issue.message,
    },
  ];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const part of path) {
    if (typeof current !== "object" || current === null || !(part in current)) return { present: false };
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return { present: true, value: current };
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(the environment itself)";
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join("");
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
