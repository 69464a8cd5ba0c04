/** Shared by the `purge --cdn` tests: objects, the JSON shape, each-once checks. */
import { captureIo } from "./run-cli";

/** captureIo with the emulator's time scale (1 = real time). */
export const scaledIo = (env: Record<string, string | undefined>, options: { scale?: number; stdin?: string } = {}) =>
  captureIo({ env, timeScale: options.scale ?? 1, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });

export const HOST = "www.example.com";
export const URLS = Array.from({ length: 2000 }, (_, i) => `https://${HOST}/articles/${i}.html`);
export const TAGS = Array.from({ length: 600 }, (_, i) => `article-${i}`);

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
