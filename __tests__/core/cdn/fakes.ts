/** Test doubles for the CDN runner: a clock that moves only when slept on, and a scripted transport. */
import type { CdnAnswer, CdnTransport, CdnWireRequest, PlannedRequest } from "../../../core/cdn/types";

export interface FakeClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
}

export function fakeClock(start = 1_700_000_000_000): FakeClock {
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

export type Step = CdnAnswer | Error | ((request: CdnWireRequest) => CdnAnswer);

export interface ScriptedTransport {
  transport: CdnTransport;
  calls: CdnWireRequest[];
}

/** Answers each call with the next scripted step; fails loudly when the script runs out. */
export function scriptedTransport(script: Step[]): ScriptedTransport {
  const calls: CdnWireRequest[] = [];
  return {
    calls,
    transport: async (request) => {
      calls.push(request);
      const step = script.shift();
      if (step === undefined) throw new Error(`unexpected request #${calls.length}: script exhausted`);
      if (step instanceof Error) throw step;
      return typeof step === "function" ? step(request) : step;
    },
  };
}

export function http(status: number, body: unknown, headers: Record<string, string> = {}): CdnAnswer {
  return { kind: "http", status, headers, body: typeof body === "string" ? body : JSON.stringify(body) };
}

/** Every accepted object's input index, over all requests (to check "exactly one request each"). */
export function plannedIndexes(requests: readonly PlannedRequest[]): number[] {
  return requests.flatMap((r) => r.objects.map((o) => o.index)).sort((a, b) => a - b);
}
