/**
 * Secrets Manager rotation of the EdgeGrid credential (IAM self-credentials). Thin: read the
 * configuration, run one step (core/rotation/steps.ts), log the outcome. A failed step throws,
 * which leaves AWSCURRENT where it was and raises the function's error alarm.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretsManagerRotationEvent } from "aws-lambda";
import { IamCredentialsClient } from "../../core/akamai/iam-credentials";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { ENV, requiredEnv } from "../../core/environment-names";
import { appLogger } from "../aws/powertools";
import { SecretsManagerStore } from "../aws/secrets-manager-store";
import { runRotationStep, type RotationDeps, type RotationLogger } from "../../core/rotation/steps";

const USER_AGENT = "edgeplane-rotate-credentials";

/** The dependencies a deployed function uses; throws naming a missing variable (requiredEnv). */
export function rotationDepsFromEnv(
  env: Record<string, string | undefined>,
  parts: { secretsManager: SecretsManagerClient; logger: RotationLogger; now?: () => number },
): RotationDeps {
  const required = (name: string): string => requiredEnv(name, env);
  return {
    store: new SecretsManagerStore(parts.secretsManager),
    bootstrapSecretId: required(ENV.bootstrapSecretArn),
    terraformCredentialId: required(ENV.terraformCredentialId),
    openIam: (credentials) => {
      const transport = new EdgeGridTransport({
        credentials,
        env,
        userAgent: USER_AGENT,
        ...(parts.now ? { now: parts.now } : {}),
      });
      return { client: new IamCredentialsClient(transport), close: () => transport.close() };
    },
    logger: parts.logger,
    env,
    ...(parts.now ? { now: parts.now } : {}),
  };
}

let secretsManager: SecretsManagerClient | undefined;

export async function handler(event: SecretsManagerRotationEvent): Promise<void> {
  secretsManager ??= new SecretsManagerClient({});
  const context = { step: event.Step, versionId: event.ClientRequestToken };
  try {
    await runRotationStep(event, rotationDepsFromEnv(process.env, { secretsManager, logger: appLogger }));
    appLogger.info("rotation step done", context);
  } catch (error) {
    // Messages name steps, versions, stages and credential ids only (never values).
    appLogger.error("rotation step failed", {
      ...context,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    throw error;
  }
}
