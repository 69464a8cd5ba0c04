/** What a command needs from its process, injected so tests can run commands in-process. */
import type { Readable } from "node:stream";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Read only when objects come from standard input ("-", or piped with no other source). */
  stdin: Readable;
  stdinIsTty: boolean;
  stderrIsTty: boolean;
  env: Record<string, string | undefined>;
  /** Real time; tests may pass a fast sleep for polling. */
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    stdinIsTty: process.stdin.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
    env: process.env,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  };
}

/** A bad command line: exit 64 with this message (it names the flag and what is allowed). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure before or instead of purging (unreadable file, missing API URL, ...): exit 1 with this message. */
export class CommandError extends Error {
  override name = "CommandError";
}
