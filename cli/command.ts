/**
 * The frame every subcommand runs in: expected failures (EdgeplaneError, and the Akamai clients' errors)
 * print one message on stderr and map to their exit status; anything else is a bug and is rethrown.
 */
import { ConfigError } from "../config";
import { AkamaiApiError, AkamaiResponseShapeError } from "../core/akamai/api-error";
import { EdgeKvTokenRequestError } from "../core/akamai/edgekv-tokens";
import { EdgeWorkersRequestError } from "../core/akamai/edgeworkers";
import { TgzFormatError } from "../core/akamai/tgz";
import { EdgeGridNetworkError, EdgeGridResponseFormatError } from "../core/edgegrid/transport";
import { TokensFileError } from "../core/tokens/tokens-file";
import { type CommandIo, EdgeplaneError, EXIT_STATUS } from "./io";

/** Runs `body`; `name` is the command as typed, e.g. "purge" or "tokens". */
export async function runCommand(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof EdgeplaneError && error.exitStatus === EXIT_STATUS.usage) {
      io.stderr(`edgeplane ${name}: ${error.message}\n(see edgeplane ${name} --help)\n`);
      return error.exitStatus;
    }
    const message = failureMessage(error);
    if (message === undefined) throw error;
    io.stderr(`edgeplane ${name}: ${message}\n`);
    return error instanceof EdgeplaneError ? error.exitStatus : EXIT_STATUS.failed;
  }
}

/** The message for an expected failure, or undefined for a bug (rethrown). */
export function failureMessage(error: unknown): string | undefined {
  if (error instanceof EdgeplaneError) return error.message;
  if (error instanceof AkamaiApiError) {
    const hint =
      error.status === 401
        ? " (the credential was refused: check the .edgerc section's (or AKAMAI_* variables') tokens, secret and host, and this machine's clock)"
        : error.status === 403
          ? " (the credential lacks a permission: its API client needs the EdgeKV API service, with access token permissions)"
          : "";
    return `${error.message}${hint}`;
  }
  // Errors of modules that do not (yet) extend EdgeplaneError: all exit 1.
  const known = [
    ConfigError,
    EdgeGridNetworkError,
    EdgeGridResponseFormatError,
    AkamaiResponseShapeError,
    EdgeKvTokenRequestError,
    EdgeWorkersRequestError,
    TokensFileError,
    TgzFormatError,
  ];
  return known.some((type) => error instanceof type) ? (error as Error).message : undefined;
}
