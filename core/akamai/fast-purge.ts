/**
 * The Fast Purge (CCU v3) client: POST /ccu/v3/{action}/{type}/{network} with an EdgeGrid-signed JSON
 * body. It is the sender's transport (core/purge/sender.ts `PurgeHttp`) on every path: the CLI's direct
 * purges, the purge API's inline purges and the worker. What an answer means (201, 429, 5xx, a 201
 * without a purgeId) is decided in one place, sender.ts `sendOne`.
 *
 * An answer whose JSON is cut short still has a status, so it comes back as an answer (a garbled 5xx is
 * retried; a garbled 201 is reported as "may have been accepted") rather than as an error that would hide
 * the status. Network failures are thrown (EdgeGridNetworkError, `retryable: true`).
 */
import { EdgeGridResponseFormatError } from "../edgegrid/transport";
import type { PurgeHttp, PurgeHttpResponse } from "../purge/sender";
import type { AkamaiHttp } from "./api-error";

export interface FastPurgeClientOptions {
  /** Per-request timeout (the transport's default otherwise). */
  timeoutMs?: number;
}

export class FastPurgeClient implements PurgeHttp {
  constructor(
    private readonly http: AkamaiHttp,
    private readonly options: FastPurgeClientOptions = {},
  ) {}

  /** POSTs one planned batch body (planner.ts builds `path` and `body`). */
  async post(path: string, body: string): Promise<PurgeHttpResponse> {
    const timeout = this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {};
    try {
      const response = await this.http.request({ method: "POST", path, body, ...timeout });
      return { status: response.status, headers: response.headers, body: response.body };
    } catch (error) {
      if (error instanceof EdgeGridResponseFormatError) {
        return {
          status: error.status,
          headers: error.headers,
          body: `the response body is not valid JSON (${error.bodyLength} bytes)`,
        };
      }
      throw error;
    }
  }
}
