/** Test doubles for the purge sender, over the shared clock, logger and script in __tests__/helpers/. */
import type { PurgeHttp, PurgeHttpResponse } from "../../../core/purge/sender";
import { type FakeClock, fakeClock as sharedFakeClock } from "../../helpers/fake-clock";
import { script } from "../../helpers/scripted";

export type { FakeClock } from "../../helpers/fake-clock";
export { recordingLogger } from "../../helpers/recording-logger";
export { NetworkError } from "../../helpers/scripted";

/** Sender tests start the shared clock at 1,000,000 ms, a round figure their expected times are written in. */
export function fakeClock(start = 1_000_000): FakeClock {
  return sharedFakeClock(start);
}

export type Scripted = PurgeHttpResponse | Error | ((path: string, body: string) => PurgeHttpResponse);

export interface FakeHttp extends PurgeHttp {
  calls: { path: string; body: string }[];
}

/** Answers each call with the next scripted step; fails the test loudly when the script runs out. */
export function scriptedHttp(steps: Scripted[]): FakeHttp {
  const answers = script<{ path: string; body: string }, PurgeHttpResponse>(
    steps.map((step) =>
      typeof step === "function" ? (call: { path: string; body: string }) => step(call.path, call.body) : step,
    ),
  );
  return { calls: answers.calls, post: (path, body) => answers.answer({ path, body }, (call) => `to ${call.path}`) };
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
