import type { EdgeWorkerActivation } from "../../../core/akamai/edgeworkers";
import {
  MAX_ACTIVATION_ATTEMPTS,
  RESUME_NOTE_PREFIX,
  activationRetryDelayMs,
  activationTries,
} from "../../../core/tokens/deploy";

const HOUR_MS = 3_600_000;

function activation(activationId: number, status: string, extra: Partial<EdgeWorkerActivation> = {}): EdgeWorkerActivation {
  return { activationId, edgeWorkerId: 1, version: "1-ekv.aa", network: "STAGING", status, ...extra } as EdgeWorkerActivation;
}

describe("activationTries", () => {
  it("counts the failed activations of the version on the network, newest first", () => {
    const history = [
      activation(1, "ERROR"),
      activation(2, "ABORTED"),
      activation(3, "ERROR", { network: "PRODUCTION" }),
      activation(4, "ERROR", { version: "other" }),
      activation(5, "IN_PROGRESS"),
    ];
    const tries = activationTries(history, "1-ekv.aa", "STAGING");
    expect(tries.failures).toBe(2);
    expect(tries.lastFailure?.activationId).toBe(2);
    expect(activationTries(history, "1-ekv.aa", "PRODUCTION").failures).toBe(1);
    expect(activationTries([], "1-ekv.aa", "STAGING")).toEqual({ failures: 0 });
  });

  it("starts afresh at a resume's activation (counted) and after one that completed", () => {
    const resumed = [
      activation(1, "ERROR"),
      activation(2, "ERROR"),
      activation(3, "ERROR", { note: `${RESUME_NOTE_PREFIX} edgekv_tokens.js for a` }),
      activation(4, "ERROR"),
    ];
    expect(activationTries(resumed, "1-ekv.aa", "STAGING")).toMatchObject({ failures: 2, lastFailure: { activationId: 4 } });
    const completedOnce = [activation(1, "ERROR"), activation(2, "COMPLETE"), activation(3, "ERROR")];
    expect(activationTries(completedOnce, "1-ekv.aa", "STAGING").failures).toBe(1);
  });
});

describe("activationRetryDelayMs", () => {
  it("doubles from an hour for each failure before the cap", () => {
    expect(Array.from({ length: MAX_ACTIVATION_ATTEMPTS - 1 }, (_, i) => activationRetryDelayMs(i + 1))).toEqual([
      HOUR_MS,
      2 * HOUR_MS,
      4 * HOUR_MS,
    ]);
  });
});
