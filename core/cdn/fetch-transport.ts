/**
 * The HTTP transport for Fastly and Cloudflare over fetch, with a per-request timeout. Network failures and
 * timeouts are thrown with `retryable: true`; HTTP statuses are answers. Error messages never include headers.
 */
import type { CdnAnswer, CdnTransport, CdnWireRequest } from "./types";

export const DEFAULT_CDN_TIMEOUT_MS = 15_000;

export class CdnNetworkError extends Error {
  readonly retryable = true;
  override name = "CdnNetworkError";
}

export function fetchTransport(options: { fetch?: typeof fetch; timeoutMs?: number } = {}): CdnTransport {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CDN_TIMEOUT_MS;
  return async (request: CdnWireRequest): Promise<CdnAnswer> => {
    if (request.kind !== "http") throw new TypeError(`the fetch transport cannot send ${request.kind} requests`);
    const target = new URL(request.url);
    const where = `${request.method} ${target.origin}${target.pathname}`;
    let response: Response;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const why =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error);
      throw new CdnNetworkError(`${where} failed: ${why}`);
    }
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      throw new CdnNetworkError(`${where}: the answer was cut off: ${error instanceof Error ? error.message : String(error)}`);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { kind: "http", status: response.status, headers, body };
  };
}
