/**
 * `edgeplane secrets <command>`: secrets the stack creates without a value, because Terraform must never hold
 * them. One subcommand today, `set` (set.ts): a CDN API token into its environment's secret.
 *
 * Exit codes: 0 done; 1 refused (empty input, AWS refusal, ...); 64 a bad command line.
 */
import { loadEnvironments, type EnvironmentConfig } from "../../config";
import { runCommand } from "../command";
import { type CommandIo, UsageError, processIo } from "../io";
import { defaultSecretsManager, type SecretsManagerFactory, setCommand } from "./set";

export const SECRETS_USAGE = `usage: edgeplane secrets set --env E --cdn fastly|cloudflare [--service-id ID | --zone-id ID] < token

Stores a CDN API token in environment E's secret for it (created empty by the stack; Terraform never holds the
token): Secrets Manager PutSecretValue on edgeplane/<E>/cdn-token/<cdn>/<service or zone id> in E's AWS account and
region, with the AWS credentials of the shell (the SDK's default chain: AWS_PROFILE, AWS_* variables, SSO, ...).

The token is read from standard input, never from the command line (arguments show in ps and shell history):
  pbpaste | npx edgeplane secrets set --env prod --cdn fastly
  npx edgeplane secrets set --env prod --cdn cloudflare < token.txt
One trailing newline is removed; empty input, whitespace inside the token and a terminal on stdin are refused.

  --env E            an environment in config/ whose cdns list the CDN
  --cdn C            fastly or cloudflare (CloudFront needs no token: the purge worker's role invalidates)
  --service-id ID    fastly: the service, when E lists several Fastly services
  --zone-id ID       cloudflare: the zone, when E lists several Cloudflare zones

The token is never printed. Exit status: 0 stored; 1 refused (input, AWS); 64 a bad command line.
`;

export interface SecretsDeps {
  /** The environments in config/ (tests pass their own). @default loadEnvironments */
  environments: () => EnvironmentConfig[];
  /** A Secrets Manager client for a region. @default the SDK client with the default credential chain */
  secretsManager: SecretsManagerFactory;
}

const DEFAULT_DEPS: SecretsDeps = { environments: () => loadEnvironments(), secretsManager: defaultSecretsManager };

export async function secretsCommand(
  argv: readonly string[],
  io: CommandIo = processIo(),
  deps: Partial<SecretsDeps> = {},
): Promise<number> {
  return runCommand("secrets", io, async () => {
    const [first, ...rest] = argv;
    if (first === undefined || first === "help" || first === "--help" || first === "-h") {
      io.stdout(SECRETS_USAGE);
      return first === undefined ? 64 : 0;
    }
    if (first !== "set") throw new UsageError(`unknown command "${first}"; commands: set`);
    return setCommand(rest, io, { ...DEFAULT_DEPS, ...deps }, SECRETS_USAGE);
  });
}
