/**
 * A rotation test world: the Akamai sandbox over real loopback HTTP (one hand-moved clock for the
 * sandbox, the signatures and the rotation), a stateful fake Secrets Manager holding the bootstrap
 * secret and the (empty) rotating secret, and the rotation steps wired to both.
 */
import { randomUUID } from "node:crypto";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { IamCredentialsClient } from "../../../core/akamai/iam-credentials";
import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import type { EdgeGridCredentials } from "../../../core/edgegrid/credentials";
import { parseStoredCredential, type StoredCredential } from "../../../core/rotation/credential-secret";
import { SecretsManagerStore } from "../../../functions/aws/secrets-manager-store";
import { ROTATION_STEPS, runRotationStep, type RotationDeps, type RotationStep } from "../../../core/rotation/steps";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../../sandbox/server";
import type { SandboxClient, SandboxCredential } from "../../../sandbox/state";
import { LOOPBACK_ENV, fakeClock, type FakeClock } from "../../helpers/sandbox-harness";
import { FakeSecretsManager } from "../../core/rotation/fake-secrets-manager";
import { type LogEntry, recordingLogger } from "../../helpers/recording-logger";

export const BOOTSTRAP_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-bootstrap-AbCdEf";
export const ROTATING_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-GhIjKl";
export const TERRAFORM_CREDENTIAL_ID = 4242;

/** The credential Terraform created with the API client. */
export const TERRAFORM_CLIENT: SandboxClient = {
  clientToken: "akab-terraform-client-token",
  clientSecret: "dGVycmFmb3JtLXNlY3JldC10ZXJyYWZvcm0tc2VjcmV0LXg=",
  accessToken: "akab-edgeplane-access-token",
  credentialId: TERRAFORM_CREDENTIAL_ID,
};

export const DAY_MS = 86_400_000;

export type { LogEntry } from "../../helpers/recording-logger";

export interface RotationWorld {
  sandbox: Sandbox;
  sm: FakeSecretsManager;
  clock: FakeClock;
  deps: RotationDeps;
  logs: LogEntry[];
  step(step: RotationStep, token: string, deps?: RotationDeps): Promise<void>;
  /** Starts a rotation (RotateSecret's part) and runs all four steps, each `times` times. */
  rotate(options?: { token?: string; times?: number }): Promise<string>;
  /** AWSCURRENT (or another label) of the rotating secret, parsed. */
  stored(stage?: string): StoredCredential;
  /** The sandbox's record of a credential of the API client. */
  credential(id: number): SandboxCredential | undefined;
  /** An IAM client signed with the given credential (closed by close()). */
  iamAs(credentials: EdgeGridCredentials): IamCredentialsClient;
  /** Every secret value the world has seen: none may appear in logs or errors. */
  knownSecrets(): string[];
  close(): Promise<void>;
}

export async function rotationWorld(
  options: { sandbox?: Partial<SandboxOptions>; graceMs?: number; overlapMs?: number } = {},
): Promise<RotationWorld> {
  const clock = fakeClock();
  const sandbox = await startSandbox({ clients: [TERRAFORM_CLIENT], now: clock.now, ...options.sandbox });
  const sm = new FakeSecretsManager();
  const mock = sm.install();
  sm.createSecret(BOOTSTRAP_ARN, {
    // As constructs/akamai/purge-api-client.ts writes it (the host is the client's base_url).
    secretString: JSON.stringify({
      host: sandbox.url,
      access_token: TERRAFORM_CLIENT.accessToken,
      client_token: TERRAFORM_CLIENT.clientToken,
      client_secret: TERRAFORM_CLIENT.clientSecret,
      credential_id: TERRAFORM_CREDENTIAL_ID,
    }),
  });
  sm.createSecret(ROTATING_ARN, { rotationEnabled: true });

  const logger = recordingLogger();
  const logs = logger.entries;
  const transports: EdgeGridTransport[] = [];
  const transportFor = (credentials: EdgeGridCredentials): EdgeGridTransport => {
    const transport = new EdgeGridTransport({ credentials, env: LOOPBACK_ENV, now: clock.now });
    transports.push(transport);
    return transport;
  };
  const deps: RotationDeps = {
    store: new SecretsManagerStore(
      new SecretsManagerClient({ region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
    ),
    bootstrapSecretId: BOOTSTRAP_ARN,
    terraformCredentialId: String(TERRAFORM_CREDENTIAL_ID),
    openIam: (credentials) => {
      const transport = transportFor(credentials);
      return { client: new IamCredentialsClient(transport), close: () => transport.close() };
    },
    logger,
    now: clock.now,
    env: LOOPBACK_ENV,
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.overlapMs !== undefined ? { overlapMs: options.overlapMs } : {}),
  };
  const step = (name: RotationStep, token: string, using = deps): Promise<void> =>
    runRotationStep({ Step: name, SecretId: ROTATING_ARN, ClientRequestToken: token }, using);

  return {
    sandbox,
    sm,
    clock,
    deps,
    logs,
    step,
    rotate: async ({ token = randomUUID(), times = 1 } = {}) => {
      sm.startRotation(ROTATING_ARN, token);
      for (const name of ROTATION_STEPS) {
        for (let i = 0; i < times; i++) await step(name, token);
      }
      return token;
    },
    stored: (stage = "AWSCURRENT") => {
      const value = sm.valueAt(ROTATING_ARN, stage);
      if (value === undefined) throw new Error(`the rotating secret has no ${stage}`);
      return parseStoredCredential(value, stage);
    },
    credential: (id) => sandbox.state.iam.clients.flatMap((c) => c.credentials).find((c) => c.credentialId === id),
    iamAs: (credentials) => new IamCredentialsClient(transportFor(credentials)),
    knownSecrets: () => [
      TERRAFORM_CLIENT.clientSecret,
      ...[...sm.secrets.values()].flatMap((s) =>
        s.versions.flatMap((v) => (v.secretString ? [JSON.parse(v.secretString).client_secret as string] : [])),
      ),
    ],
    close: async () => {
      for (const t of transports) t.close();
      mock.restore();
      await sandbox.close();
    },
  };
}
