/**
 * The one IO module of the CLI: what a command needs from its process (stdout, stderr, stdin, the
 * environment, time), injected so tests run commands in-process and capture what they print.
 */
import type { Readable } from "node:stream";

export { CommandError, EdgeplaneError, EXIT_STATUS, UsageError } from "../core/errors";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Read only when a command takes input from standard input. */
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
