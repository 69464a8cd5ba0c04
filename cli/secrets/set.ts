/**
 * `edgeplane secrets set --env E --cdn fastly|cloudflare`: the token from stdin into the secret the stack created for
 * that CDN target (config/cdn-token-secrets.ts names it). Everything on the command line is checked before stdin is
 * read, and stdin before AWS is called. The token never reaches stdout, stderr or an error message.
 */
import { PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Readable } from "node:stream";
import type { EnvironmentConfig } from "../../config";
import {
  awsPartition,
  cdnTokenSecretName,
  cdnTokenSecretOutputName,
  type TokenCdnTarget,
  tokenTargetId,
} from "../../config/cdn-token-secrets";
import { choice, type FlagSpec, flagValue, HELP_FLAG, parseFlags } from "../flags";
import { type CommandIo, CommandError, UsageError } from "../io";

export type SecretsManagerFactory = (region: string) => Pick<SecretsManagerClient, "send">;

export const defaultSecretsManager: SecretsManagerFactory = (region) => new SecretsManagerClient({ region });

const FLAGS: readonly FlagSpec[] = [
  { name: "--env", value: "an environment name from config/" },
  { name: "--cdn", value: "fastly or cloudflare" },
  { name: "--service-id", value: "a Fastly service id listed in the environment's cdns" },
  { name: "--zone-id", value: "a Cloudflare zone id listed in the environment's cdns" },
  HELP_FLAG,
];
const TOKEN_CDNS = ["fastly", "cloudflare"] as const;
/** API tokens are a few dozen characters; anything this long is a file piped by mistake. */
const MAX_TOKEN_LENGTH = 4096;
const FROM_STDIN =
  "the token is read from standard input, never from the command line (arguments show in ps and shell history); " +
  "e.g. pbpaste | edgeplane secrets set --env E --cdn C";

interface Deps {
  environments: () => EnvironmentConfig[];
  secretsManager: SecretsManagerFactory;
}

export async function setCommand(argv: readonly string[], io: CommandIo, deps: Deps, usage: string): Promise<number> {
  // Before parsing: a token given as a flag must be refused without ever being echoed in a message.
  if (argv.some((word) => /^--?(token|secret|value|secret-string)(=|$)/i.test(word))) throw new UsageError(FROM_STDIN);
  const flags = parseFlags(argv, FLAGS);
  if (flags.booleans.has("--help")) {
    io.stdout(usage);
    return 0;
  }
  if (flags.positionals.length > 0)
    throw new UsageError(`set takes no arguments (${flags.positionals.length} given, not shown): ${FROM_STDIN}`);
  const envName = flagValue(flags, "--env");
  if (envName === undefined) throw new UsageError("--env is required: the environment whose CDN token to set");
  const cdnName = flagValue(flags, "--cdn");
  if (cdnName === undefined) throw new UsageError("--cdn is required: fastly or cloudflare");
  if (cdnName === "cloudfront" || cdnName === "akamai") {
    throw new UsageError(
      cdnName === "cloudfront"
        ? '--cdn "cloudfront" has no token: the purge worker\'s role may invalidate the configured distributions; allowed: fastly, cloudflare'
        : '--cdn "akamai" has no token to set here: the stack rotates the EdgeGrid credential itself; allowed: fastly, cloudflare',
    );
  }
  const cdn = choice("--cdn", cdnName, TOKEN_CDNS);

  const environments = deps.environments();
  const env = environments.find((e) => e.name === envName);
  if (env === undefined)
    throw new UsageError(
      `--env "${envName}" is not an environment in config/; allowed: ${environments.map((e) => e.name).join(", ")}`,
    );
  const target = pickTarget(env, cdn, flagValue(flags, "--service-id"), flagValue(flags, "--zone-id"));

  const token = await readToken(io);
  const name = cdnTokenSecretName(env.name, target);
  // A partial ARN (no random suffix) pins the account and region: credentials for another account cannot write
  // a token there by mistake. Names end in the target id (letters and digits), never in a "-XXXXXX" suffix look-alike.
  const secretId = `arn:${awsPartition(env.aws.region)}:secretsmanager:${env.aws.region}:${env.aws.accountId}:secret:${name}`;
  const client = deps.secretsManager(env.aws.region);
  let versionId: string | undefined;
  try {
    ({ VersionId: versionId } = await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: token })));
  } catch (error) {
    throw new CommandError(awsFailure(error, env, target, name));
  }
  const what = target.cdn === "fastly" ? `Fastly service ${target.serviceId}` : `Cloudflare zone ${target.zoneId}`;
  io.stdout(
    `stored the token for ${what} in ${name} (account ${env.aws.accountId}, ${env.aws.region}${versionId ? `, version ${versionId}` : ""})\n`,
  );
  return 0;
}

function pickTarget(
  env: EnvironmentConfig,
  cdn: (typeof TOKEN_CDNS)[number],
  serviceId: string | undefined,
  zoneId: string | undefined,
): TokenCdnTarget {
  const [idFlag, otherFlag, given, other] =
    cdn === "fastly" ? ["--service-id", "--zone-id", serviceId, zoneId] : ["--zone-id", "--service-id", zoneId, serviceId];
  if (other !== undefined) throw new UsageError(`${otherFlag} does not apply to --cdn ${cdn}; use ${idFlag}`);
  const targets = (env.cdns ?? []).filter((t): t is TokenCdnTarget => t.cdn === cdn);
  if (targets.length === 0) {
    const listed = env.cdns ? env.cdns.map((t) => t.cdn).join(", ") : "none (Akamai alone)";
    throw new UsageError(
      `environment "${env.name}" has no ${cdn} target in cdns (its CDNs: ${listed}); add one to config/environments/${env.name}.ts and deploy first`,
    );
  }
  const ids = targets.map(tokenTargetId);
  if (given === undefined) {
    if (targets.length === 1) return targets[0]!;
    throw new UsageError(
      `environment "${env.name}" lists ${targets.length} ${cdn} targets; pick one with ${idFlag}: ${ids.join(", ")}`,
    );
  }
  const target = targets.find((t) => tokenTargetId(t) === given);
  if (target === undefined)
    throw new UsageError(`${idFlag} "${given}" is not a ${cdn} target of environment "${env.name}"; allowed: ${ids.join(", ")}`);
  return target;
}

/** The whole of stdin, less one trailing newline; refuses a terminal, empty input and anything but one word. */
async function readToken(io: CommandIo): Promise<string> {
  if (io.stdinIsTty) {
    throw new CommandError(`standard input is a terminal (typing would echo the token): ${FROM_STDIN}, or < token-file`);
  }
  const text = await readAll(io.stdin);
  const token = text.replace(/\r?\n$/, "");
  if (token === "") throw new CommandError("standard input was empty: no token to store");
  if (token.length > MAX_TOKEN_LENGTH)
    throw new CommandError(
      `standard input holds ${token.length} characters; a CDN API token is one short word (at most ${MAX_TOKEN_LENGTH})`,
    );
  if (/\s/.test(token)) {
    throw new CommandError(
      "standard input holds more than one word (spaces, tabs or several lines; only one trailing newline is removed); give the token alone",
    );
  }
  return token;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** What went wrong, with what to do; built from the AWS error's name and message (which never carry the value sent). */
function awsFailure(error: unknown, env: EnvironmentConfig, target: TokenCdnTarget, name: string): string {
  const code = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  const where = `account ${env.aws.accountId}, ${env.aws.region}`;
  switch (code) {
    case "ResourceNotFoundException":
      return `secret ${name} does not exist in ${where}: deploy stack edgeplane-${env.name} with this ${target.cdn} target first (stack output ${cdnTokenSecretOutputName(target)})`;
    case "AccessDeniedException":
    case "AccessDenied":
      return (
        `not allowed to write ${name} (${where}): ${message}. The caller needs secretsmanager:PutSecretValue on the secret and ` +
        `kms:GenerateDataKey on the key alias/edgeplane-${env.name}-edgegrid, with credentials for account ${env.aws.accountId}`
      );
    case "CredentialsProviderError":
      return `no AWS credentials for account ${env.aws.accountId}: ${message} (set AWS_PROFILE, or sign in with aws sso login)`;
    default:
      return `Secrets Manager refused to store the token in ${name} (${where}): ${code}: ${message}`;
  }
}
