/**
 * The one error model: every expected failure is an EdgeplaneError with a short machine code and the exit
 * status a command maps it to. Anything else thrown is a bug and is not caught by the command frame.
 *
 * Exit statuses (the CLI's contract, README "Exit status"): 0 ok; 1 rejected, failed or an expected error;
 * 64 a bad command line (EX_USAGE of sysexits.h).
 */
export const EXIT_STATUS = { ok: 0, failed: 1, usage: 64 } as const;
export type ExitStatus = (typeof EXIT_STATUS)[keyof typeof EXIT_STATUS];

export class EdgeplaneError extends Error {
  override name = "EdgeplaneError";

  constructor(
    message: string,
    /** A short stable code, e.g. "usage", "credentials", "config". */
    readonly code: string = "failed",
    readonly exitStatus: ExitStatus = EXIT_STATUS.failed,
  ) {
    super(message);
  }
}

/** A bad command line: exit 64 with a message that names the flag and what is allowed. */
export class UsageError extends EdgeplaneError {
  override name = "UsageError";

  constructor(message: string) {
    super(message, "usage", EXIT_STATUS.usage);
  }
}

/** A failure before or instead of the work (unreadable file, missing URL, ...): exit 1. */
export class CommandError extends EdgeplaneError {
  override name = "CommandError";

  constructor(message: string, code = "failed") {
    super(message, code, EXIT_STATUS.failed);
  }
}
