import { Testing } from "cdktf";
import { loadEnvironments } from "../../config";
import type { EnvironmentConfig, EnvironmentInput } from "../../config/schema";
import { validateEnvironments } from "../../config/load";
import { EdgeStack } from "../../constructs/edge-stack";

export function exampleEnv(name: "dev" | "staging" | "prod"): EnvironmentConfig {
  const env = loadEnvironments().find((e) => e.name === name);
  if (!env) throw new Error(`no example environment ${name}`);
  return env;
}

/** A validated copy of an example environment with changes applied. */
export function variantEnv(name: "dev" | "staging" | "prod", change: (env: EnvironmentInput) => void): EnvironmentConfig {
  const input = structuredClone(exampleEnv(name)) as EnvironmentInput;
  change(input);
  return validateEnvironments({ [input.name]: input })[0]!;
}

/** The synthesized cdk.tf.json of one EdgeStack, as text (for cdktf matchers) and parsed. */
export function synthEdgeStack(env: EnvironmentConfig): { text: string; json: Record<string, any> } {
  const app = Testing.app();
  const stack = new EdgeStack(app, { env });
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) };
}

export function resourcesOfType(json: Record<string, any>, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}
