/** One set of failure codes: the sender's reasons are among them, and older stored wordings read as codes. */
import { FAILURE_REASONS, failureReasonCode, isFailureReason } from "../../../core/purge/failure-reasons";

test("codes are unique camelCase words", () => {
  expect(new Set(FAILURE_REASONS).size).toBe(FAILURE_REASONS.length);
  for (const code of FAILURE_REASONS) expect(code).toMatch(/^[a-z]+(?:[A-Z][a-z0-9]*)*$/);
});

test("stored wordings from before the unification map to their codes; unknown text passes through", () => {
  expect(failureReasonCode("retries exhausted")).toBe("retriesExhausted");
  expect(failureReasonCode("not queued")).toBe("notQueued");
  expect(failureReasonCode("invalid message")).toBe("invalidMessage");
  expect(failureReasonCode("rejected")).toBe("rejected");
  expect(failureReasonCode("somethingNewer")).toBe("somethingNewer");
  expect(isFailureReason("timedOut")).toBe(true);
  expect(isFailureReason("timed out")).toBe(false);
});
