/**
 * The one scripted answerer behind every scripted HTTP double (Fast Purge, the Akamai clients, the CDN
 * transports): each call takes the next step — an answer, an error to throw, or a function of the request —
 * records the request, and fails loudly when the script runs out.
 */
export type ScriptStep<Req, Res> = Res | Error | ((request: Req) => Res);

export interface Script<Req, Res> {
  readonly calls: Req[];
  answer(request: Req, describe?: (request: Req) => string): Promise<Res>;
}

export function script<Req, Res>(steps: ScriptStep<Req, Res>[]): Script<Req, Res> {
  const calls: Req[] = [];
  return {
    calls,
    async answer(request, describe) {
      calls.push(request);
      const step = steps.shift();
      if (step === undefined)
        throw new Error(`unexpected request #${calls.length}${describe ? ` ${describe(request)}` : ""}: script exhausted`);
      if (step instanceof Error) throw step;
      return typeof step === "function" ? (step as (request: Req) => Res)(request) : step;
    },
  };
}

/** An error the transports treat as a network failure (retryable). */
export class NetworkError extends Error {
  readonly retryable = true;
}
