/** A sandbox plus a transport signed for it, sharing one hand-moved clock. */
import { EdgeGridTransport, type EdgeGridTransportOptions } from "../../core/edgegrid/transport";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/server";
import type { SandboxClient } from "../../sandbox/state";
import { type FakeClock, fakeClock } from "./fake-clock";

export { type FakeClock, fakeClock } from "./fake-clock";

export const LOOPBACK_ENV = { EDGEPLANE_INSECURE_LOOPBACK: "1" };

export const TEST_CLIENT: SandboxClient = {
  clientToken: "akab-test-client-token",
  clientSecret: "dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ=",
  accessToken: "akab-test-access-token",
};

export interface Harness {
  sandbox: Sandbox;
  transport: EdgeGridTransport;
  clock: FakeClock;
  close(): Promise<void>;
}

export async function startHarness(
  options: Partial<SandboxOptions> = {},
  transportOptions: Partial<EdgeGridTransportOptions> = {},
): Promise<Harness> {
  const clock = fakeClock();
  const sandbox = await startSandbox({ clients: [TEST_CLIENT], now: clock.now, ...options });
  const transport = new EdgeGridTransport({
    credentials: { host: sandbox.url, ...TEST_CLIENT },
    env: LOOPBACK_ENV,
    now: clock.now,
    ...transportOptions,
  });
  return {
    sandbox,
    transport,
    clock,
    close: async () => {
      transport.close();
      await sandbox.close();
    },
  };
}
