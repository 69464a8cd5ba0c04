/** Test doubles for the purge sender: a clock that only moves when slept on, and a scripted transport. */
import type { PurgeHttp, PurgeHttpResponse, PurgeLogger } from "../../../core/purge/sender";

export interface FakeClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
}

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      if (!(ms >= 0)) throw new Error(`sleep called with ${ms}`);
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

export class NetworkError extends Error {
  readonly retryable = true;
}

export type Scripted = PurgeHttpResponse | Error | ((path: string, body: string) => PurgeHttpResponse);

export interface FakeHttp extends PurgeHttp {
  calls: { path: string; body: string }[];
}

/** Answers each call with the next scripted step; fails the test loudly when the script runs out. */
export function scriptedHttp(script: Scripted[]): FakeHttp {
  const calls: { path: string; body: string }[] = [];
  return {
    calls,
    async post(path: string, body: string) {
      calls.push({ path, body });
      const step = script.shift();
      if (step === undefined) throw new Error(`unexpected request #${calls.length} to ${path}: script exhausted`);
      if (step instanceof Error) throw step;
      return typeof step === "function" ? step(path, body) : step;
    },
  };
}

let purgeCounter = 0;

export function created(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): PurgeHttpResponse {
  purgeCounter++;
  return {
    status: 201,
    headers,
    body: {
      httpStatus: 201,
      estimatedSeconds: 5,
      purgeId: `edcp-${purgeCounter}`,
      supportId: `edsp-${purgeCounter}`,
      detail: "Request accepted",
      ...extra,
    },
  };
}

export function problem(status: number, detail: string, headers: Record<string, string> = {}): PurgeHttpResponse {
  return {
    status,
    headers,
    body: {
      type: "https://problems.purge.akamaiapis.net/-/pep-authn/deny",
      title: `title ${status}`,
      detail,
      status,
      supportId: `sup-${status}`,
    },
  };
}

export function recordingLogger(): PurgeLogger & {
  entries: { level: string; message: string; details?: Record<string, unknown> }[];
} {
  const entries: { level: string; message: string; details?: Record<string, unknown> }[] = [];
  return {
    entries,
    info: (message, details) => entries.push({ level: "info", message, ...(details ? { details } : {}) }),
    warn: (message, details) => entries.push({ level: "warn", message, ...(details ? { details } : {}) }),
  };
}

/** A small deterministic PRNG for building large inputs inside property tests. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}
