/** Test doubles for the CDN runner, over the shared clock and script in __tests__/helpers/. */
import type { CdnAnswer, CdnTransport, CdnWireRequest, PlannedRequest } from "../../../core/cdn/types";
import { type FakeClock, fakeClock as sharedFakeClock } from "../../helpers/fake-clock";
import { script } from "../../helpers/scripted";

export type { FakeClock } from "../../helpers/fake-clock";
export { NetworkError } from "../../helpers/scripted";

export function fakeClock(start = 1_700_000_000_000): FakeClock {
  return sharedFakeClock(start);
}

export type Step = CdnAnswer | Error | ((request: CdnWireRequest) => CdnAnswer);

export interface ScriptedTransport {
  transport: CdnTransport;
  calls: CdnWireRequest[];
}

/** Answers each call with the next scripted step; fails loudly when the script runs out. */
export function scriptedTransport(steps: Step[]): ScriptedTransport {
  const answers = script<CdnWireRequest, CdnAnswer>(steps);
  return { calls: answers.calls, transport: (request) => answers.answer(request) };
}

export function http(status: number, body: unknown, headers: Record<string, string> = {}): CdnAnswer {
  return { kind: "http", status, headers, body: typeof body === "string" ? body : JSON.stringify(body) };
}

/** Every accepted object's input index, over all requests (to check "exactly one request each"). */
export function plannedIndexes(requests: readonly PlannedRequest[]): number[] {
  return requests.flatMap((r) => r.objects.map((o) => o.index)).sort((a, b) => a - b);
}
