/** `edgeplane <command>`: dispatches to the subcommands. Exit codes: 0 ok, 1 failure, 64 usage error. */
import { loadEnvironments } from "../config";
import { runCommand } from "./command";
import { type CommandIo, EXIT_STATUS, UsageError, processIo } from "./io";
import { planReport, planReportIo } from "./plan-report/command";
import { purgeCommand } from "./purge";
import { secretsCommand } from "./secrets";
import { tokensCommand } from "./tokens";
import { validateCredentialsCommand } from "./validate-credentials";

const USAGE = `usage: edgeplane <command> [options]

commands:
  validate-config    validate every environment in config/ and print a summary
  purge              purge by URL, CP code or cache tag (--env E, or directly: AKAMAI_* or --edgerc PATH; other CDNs:
                     --cdn fastly|cloudflare|cloudfront); see purge --help
  plan-report        Markdown review of \`terraform show -json\` plans with guard rules; see plan-report --help
  tokens             EdgeKV access tokens: list, create, refresh, revoke, write-file (AKAMAI_* or --edgerc PATH); see tokens --help
  secrets            set an environment's CDN API token from stdin: secrets set --env E --cdn fastly|cloudflare; see secrets --help
  validate-credentials  check that a credential (--edgerc or AKAMAI_*) reaches CCU purge, EdgeKV tokens, IAM and EdgeWorkers,
                     or a Fastly, Cloudflare or CloudFront credential (--cdn)
  help               show this text
`;

export async function main(args: string[], io: CommandIo = processIo()): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "validate-config":
      return runCommand("validate-config", io, async () => validateConfig(rest, io));
    case "purge":
      return purgeCommand(rest, io);
    case "plan-report":
      return planReport(rest, planReportIo(io));
    case "tokens":
      return tokensCommand(rest, io);
    case "secrets":
      return secretsCommand(rest, io);
    case "validate-credentials":
      return validateCredentialsCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE);
      return EXIT_STATUS.ok;
    default:
      io.stderr(`edgeplane: unknown command "${command}"\n${USAGE}`);
      return EXIT_STATUS.usage;
  }
}

function validateConfig(args: string[], io: CommandIo): number {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"; it takes none`);
  // A ConfigError (exit 1) lists every problem; the command frame prints it.
  for (const env of loadEnvironments()) {
    const namespaces = env.edgeKv.namespaces.map((ns) => `${ns.name}:${ns.network}`).join(", ") || "none";
    io.stdout(
      `${env.name}${env.protected ? " (protected)" : ""}: stack edgeplane-${env.name}, AWS ${env.aws.accountId}/${env.aws.region}, ` +
        `backend ${env.aws.backend.type}, namespaces ${namespaces}, ${env.edgeKv.tokens.length} token(s)\n`,
    );
  }
  return EXIT_STATUS.ok;
}
