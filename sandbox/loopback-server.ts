/** Starting and stopping the sandbox's HTTP servers (the Akamai sandbox and the CDN emulators) the same way. */
import type http from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on `host:port` (0 = any free port) and resolves with the port taken. */
export async function listen(server: http.Server, host: string, port: number | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Cancels the pending fault delays, stops listening and drops open connections. */
export function closeServer(server: http.Server, delays: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    for (const delay of delays) clearTimeout(delay);
    delays.clear();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
