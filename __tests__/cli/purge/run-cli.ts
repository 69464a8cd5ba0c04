/** Runs `node cli/bin.cjs ...` as a child process without blocking this process's event loop (a sandbox or
 *  fake API may be serving in it). */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { CommandIo } from "../../../cli/io";

export const BIN = join(__dirname, "../../../cli/bin.cjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // Only what the CLI needs: no AWS settings from the machine running the tests.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; file: (name: string, text: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "edgeplane-purge-test-"));
  return {
    dir,
    file: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * In-process IO for purgeCommand: captures stdout/stderr; polling sleeps are short real sleeps. With `timeScale`, the
 * clock instead runs that many times faster than real time, as an emulator started with the same timeScale does, so
 * a CDN's pacing is kept while its waits are short.
 */
export function captureIo(
  options: { stdin?: string; stdinIsTty?: boolean; env?: Record<string, string | undefined>; timeScale?: number } = {},
) {
  const scale = options.timeScale;
  const start = Date.now();
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin, "utf8")]),
    stdinIsTty: options.stdinIsTty ?? options.stdin === undefined,
    stderrIsTty: false,
    env: options.env ?? {},
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, scale === undefined ? Math.min(ms, 5) : ms / scale)),
    now: scale === undefined ? Date.now : () => start + (Date.now() - start) * scale,
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}
