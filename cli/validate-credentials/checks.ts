/**
 * What the runtime needs from its EdgeGrid credential, one harmless signed call per API:
 * - CCU purge: POST /ccu/v3/rate-limit-status/url (answers the account's bucket levels; costs no tokens);
 * - EdgeKV tokens: GET /edgekv/v1/tokens;
 * - IAM self-credentials: GET /identity-management/v3/api-clients/self/credentials;
 * - EdgeWorkers: GET /edgeworkers/v1/ids/{id}/versions for the given ids, else GET /edgeworkers/v1/ids.
 *
 * 401 means the credential itself was refused, 403 that the API client lacks the API service. The calls
 * are reads: they show that an API is reachable with this credential, not that it may write there.
 */
import {
  AkamaiApiError,
  AkamaiResponseShapeError,
  describeUnreadable,
  expectStatus,
  type AkamaiHttp,
} from "../../core/akamai/api-error";
import { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../core/akamai/edgeworkers";
import { IamCredentialsClient, SELF_CREDENTIALS_PATH } from "../../core/akamai/iam-credentials";
import { EdgeGridNetworkError, EdgeGridResponseFormatError } from "../../core/edgegrid/transport";

export type CheckOutcome = "ok" | "missing" | "refused" | "error";

export interface CheckResult {
  id: "ccu" | "edgekv" | "iam" | "edgeworkers";
  title: string;
  outcome: CheckOutcome;
  /** The calls made, e.g. "POST /ccu/v3/rate-limit-status/url". */
  calls: string[];
  status?: number;
  detail: string;
  /** What to grant or fix, when not ok. */
  hint?: string;
}

interface CheckDefinition {
  id: CheckResult["id"];
  title: string;
  /** Which API service the Akamai API client needs (Identity & Access Management → API clients). */
  grant: string;
  calls: string[];
  run(http: AkamaiHttp): Promise<string>;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function checkDefinitions(edgeWorkerIds: readonly number[]): CheckDefinition[] {
  const rateLimitPath = "/ccu/v3/rate-limit-status/url";
  return [
    {
      id: "ccu",
      title: "CCU purge (Fast Purge v3)",
      grant: 'the API service "CCU APIs" with READ-WRITE (purge-worker purges with it)',
      calls: [`POST ${rateLimitPath}`],
      run: async (http) => {
        const response = await http.request({ method: "POST", path: rateLimitPath });
        expectStatus(response, [200, 201], {
          operation: "read the purge rate-limit status",
          method: "POST",
          path: rateLimitPath,
        });
        return "rate-limit status readable";
      },
    },
    {
      id: "edgekv",
      title: "EdgeKV access tokens",
      grant: 'the API service "EdgeKV" with READ-WRITE and the access token permissions (create, list, download, revoke)',
      calls: ["GET /edgekv/v1/tokens"],
      run: async (http) => {
        const { tokens, unreadable } = await new EdgeKvTokensClient(http).listTokensDetailed();
        return plural(tokens.length, "token") + (unreadable.length > 0 ? ` (and ${describeUnreadable(unreadable)})` : "");
      },
    },
    {
      id: "iam",
      title: "IAM self-credentials",
      grant:
        'the API service "Identity and Access Management" with READ-WRITE (rotation creates and deactivates the client\'s own credentials)',
      calls: [`GET ${SELF_CREDENTIALS_PATH}`],
      run: async (http) => plural((await new IamCredentialsClient(http).listSelfCredentials()).length, "credential"),
    },
    edgeWorkerIds.length > 0
      ? {
          id: "edgeworkers",
          title: "EdgeWorkers",
          grant: 'the API service "EdgeWorkers" with READ-WRITE, and access to the EdgeWorker ids\' group',
          calls: edgeWorkerIds.map((id) => `GET /edgeworkers/v1/ids/${id}/versions`),
          run: async (http) => {
            const client = new EdgeWorkersClient(http);
            const counts: string[] = [];
            for (const id of edgeWorkerIds) counts.push(`${id}: ${plural((await client.listVersions(id)).length, "version")}`);
            return counts.join(", ");
          },
        }
      : {
          id: "edgeworkers",
          title: "EdgeWorkers",
          grant: 'the API service "EdgeWorkers" with READ-WRITE',
          calls: ["GET /edgeworkers/v1/ids"],
          run: async (http) => {
            const path = "/edgeworkers/v1/ids";
            const response = await http.request({ method: "GET", path });
            expectStatus(response, [200], { operation: "list EdgeWorker ids", method: "GET", path });
            const ids = (response.body as { edgeWorkerIds?: unknown } | undefined)?.edgeWorkerIds;
            return Array.isArray(ids) ? plural(ids.length, "EdgeWorker id") : "EdgeWorker ids readable";
          },
        },
  ];
}

/** Runs one check; never throws for an answer or a network failure (bugs still throw). */
export async function runCheck(definition: CheckDefinition, http: AkamaiHttp): Promise<CheckResult> {
  const base = { id: definition.id, title: definition.title, calls: definition.calls };
  try {
    return { ...base, outcome: "ok", detail: await definition.run(http) };
  } catch (error) {
    if (error instanceof AkamaiApiError) {
      const problem = [error.problem.title, error.problem.detail].filter((p) => p !== undefined).join(": ");
      const where = `${error.method} ${error.path} → HTTP ${error.status}${problem ? ` ${problem}` : ""}`;
      if (error.status === 401) {
        return {
          ...base,
          outcome: "refused",
          status: 401,
          detail: where,
          hint: "the credential was refused: check client_token, client_secret, access_token and host, and this machine's clock",
        };
      }
      if (error.status === 403)
        return { ...base, outcome: "missing", status: 403, detail: where, hint: `grant the API client ${definition.grant}` };
      const hint =
        error.status === 404 && definition.id === "edgeworkers" && definition.calls[0] !== "GET /edgeworkers/v1/ids"
          ? "the EdgeWorker id does not exist or is not visible to this client"
          : undefined;
      return { ...base, outcome: "error", status: error.status, detail: where, ...(hint ? { hint } : {}) };
    }
    if (
      error instanceof EdgeGridNetworkError ||
      error instanceof EdgeGridResponseFormatError ||
      error instanceof AkamaiResponseShapeError
    ) {
      return { ...base, outcome: "error", detail: error.message };
    }
    throw error;
  }
}
