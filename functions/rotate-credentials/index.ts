/**
 * Secrets Manager rotation of the EdgeGrid credential. Placeholder until rotation lands: every step fails,
 * which leaves AWSCURRENT untouched and raises the function's error alarm.
 */
import type { SecretsManagerRotationEvent } from "aws-lambda";

export async function handler(event: SecretsManagerRotationEvent): Promise<void> {
  throw new Error(`rotation step ${event.Step} is not implemented yet; AWSCURRENT is unchanged`);
}
