/**
 * Scheduled reconcile of the environment's EdgeKV tokens. Placeholder until token management lands: it
 * fails, which raises the function's error alarm rather than pretending the tokens were checked.
 */
export async function handler(): Promise<void> {
  throw new Error("EdgeKV token reconcile is not implemented yet");
}
