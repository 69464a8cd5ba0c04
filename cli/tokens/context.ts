/** What every `edgeplane tokens` subcommand gets: its parsed flags, the IO, and the environment (--env). */
import type { EnvironmentConfig } from "../../config";
import { describeUnreadable } from "../../core/akamai/api-error";
import {
  type EdgeKvToken,
  type EdgeKvTokenSummary,
  type EdgeKvTokensClient,
  edgeKvTokenKind,
} from "../../core/akamai/edgekv-tokens";
import { CREDENTIAL_FLAGS, type FlagSpec, HELP_FLAG, type ParsedFlags } from "../flags";
import type { CommandIo } from "../io";

export interface TokensContext {
  flags: ParsedFlags;
  io: CommandIo;
  json: boolean;
  env?: EnvironmentConfig;
}

/** The work a subcommand does once its command line has been checked completely. */
export type TokensWork = (client: EdgeKvTokensClient) => Promise<number>;

/** A subcommand: its flags (COMMON_FLAGS plus its own) and `prepare`, which checks the command line. */
export interface TokensSubcommand {
  flags: readonly FlagSpec[];
  prepare(context: TokensContext): TokensWork;
}

export const COMMON_FLAGS: readonly FlagSpec[] = [
  ...CREDENTIAL_FLAGS,
  { name: "--env", value: "an environment name from config/" },
  { name: "--json" },
  HELP_FLAG,
];

/** A token as the CLI shows it: everything but the value. */
export function shown(token: EdgeKvToken): Record<string, unknown> {
  const { value: _value, ...rest } = token;
  return { ...rest, kind: edgeKvTokenKind(token) };
}

/** The readable tokens; list items that could not be read are named in a warning on stderr (never fatal). */
export async function listTokens(
  io: CommandIo,
  client: EdgeKvTokensClient,
  includeExpired: boolean,
): Promise<EdgeKvTokenSummary[]> {
  const { tokens, unreadable } = await client.listTokensDetailed({ includeExpired });
  if (unreadable.length > 0)
    io.stderr(`edgeplane tokens: warning: the token list has ${describeUnreadable(unreadable)}; left out\n`);
  return tokens;
}
