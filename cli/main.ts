/** `edgeplane <command>`: dispatches to the subcommands. Exit codes: 0 ok, 1 failure, 64 usage error. */
import { ConfigError, loadEnvironments } from "../config";
import { planReport } from "./plan-report/command";
import { purgeCommand } from "./purge";
import { tokensCommand } from "./tokens";
import { validateCredentialsCommand } from "./validate-credentials";

const USAGE = `usage: edgeplane <command> [options]

commands:
  validate-config    validate every environment in config/ and print a summary
  purge              purge by URL, CP code or cache tag (--env E, or --edgerc PATH); see purge --help
  plan-report        Markdown review of \`terraform show -json\` plans with guard rules; see plan-report --help
  tokens             EdgeKV access tokens: list, create, refresh, revoke, write-file (--edgerc PATH); see tokens --help
  validate-credentials  check that an .edgerc credential reaches CCU purge, EdgeKV tokens, IAM and EdgeWorkers
  help               show this text
`;

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "validate-config":
      return validateConfig(rest);
    case "purge":
      return purgeCommand(rest);
    case "plan-report":
      return planReport(rest);
    case "tokens":
      return tokensCommand(rest);
    case "validate-credentials":
      return validateCredentialsCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`edgeplane: unknown command "${command}"\n${USAGE}`);
      return 64;
  }
}

function validateConfig(args: string[]): number {
  if (args.length > 0) {
    process.stderr.write(`edgeplane validate-config: unexpected argument "${args[0]}"; it takes none\n`);
    return 64;
  }
  try {
    for (const env of loadEnvironments()) {
      const namespaces = env.edgeKv.namespaces.map((ns) => `${ns.name}:${ns.network}`).join(", ") || "none";
      process.stdout.write(
        `${env.name}${env.protected ? " (protected)" : ""}: stack edgeplane-${env.name}, AWS ${env.aws.accountId}/${env.aws.region}, ` +
          `backend ${env.aws.backend.type}, namespaces ${namespaces}, ${env.edgeKv.tokens.length} token(s)\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
