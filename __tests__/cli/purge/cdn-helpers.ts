/** Shared by the `purge --cdn` tests: objects, an IO whose clock runs at the emulator's time scale, JSON reading. */
import { Readable } from "node:stream";
import type { CommandIo } from "../../../cli/io";

export const HOST = "www.example.com";
export const URLS = Array.from({ length: 2000 }, (_, i) => `https://${HOST}/articles/${i}.html`);
export const TAGS = Array.from({ length: 600 }, (_, i) => `article-${i}`);

/**
 * In-process IO for the command: captures stdout/stderr; its clock runs `scale` times faster than real time, as the
 * emulators do with the same timeScale, so the CDN's pacing is kept but its waits are short.
 */
export function scaledIo(env: Record<string, string | undefined>, options: { scale?: number; stdin?: string } = {}) {
  const scale = options.scale ?? 1;
  const start = Date.now();
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin, "utf8")]),
    stdinIsTty: options.stdin === undefined,
    stderrIsTty: false,
    env,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / scale)),
    now: () => start + (Date.now() - start) * scale,
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

export interface CdnJson {
  batches: { cdn: string; purgeId: string | null; estimatedSeconds: null; objects: number; type: string }[];
  rejected: { object: unknown; reason: string; detail: string }[];
  failed: { cdn: string; objects: number; reason: string; detail: string; status?: number; batch: number }[];
}

export const sorted = (list: readonly string[]): string[] => [...list].sort();

/** Each value once: no value missing, none twice. */
export function expectEachOnce(purged: readonly string[], expected: readonly string[]): void {
  expect(purged).toHaveLength(expected.length);
  expect(sorted(purged)).toEqual(sorted(expected));
}
