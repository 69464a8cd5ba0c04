/** The environments `main.ts` builds a stack for, validated. Add an environment here and in environments/. */
import { dev } from "./environments/dev";
import { prod } from "./environments/prod";
import { staging } from "./environments/staging";
import { validateEnvironments } from "./load";
import type { EnvironmentConfig } from "./schema";

export const exampleEnvironments: Record<string, unknown> = { dev, staging, prod };

export function loadEnvironments(inputs: Record<string, unknown> = exampleEnvironments): EnvironmentConfig[] {
  return validateEnvironments(inputs);
}

export { ConfigError, validateEnvironments } from "./load";
export type { EnvironmentConfig } from "./schema";
