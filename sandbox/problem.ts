/** Error bodies in the shapes Akamai uses. */
import type { RouteResponse } from "./routes";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * The content type of a Fast Purge error answer: the CCU v3 OpenAPI document gives 429 and 500 as
 * application/json and 400/403 as application/problem+json (ccu-v3.json, every purge operation's
 * responses); statuses it does not list keep problem+json.
 */
export function purgeProblemContentType(status: number): string {
  return status === 429 || status === 500 ? "application/json" : PROBLEM_CONTENT_TYPE;
}

/** Fast Purge errors: {supportId, title, httpStatus, detail, describedBy} (OAS ccu/v3 examples/400.json). */
export function purgeProblem(
  status: number,
  title: string,
  detail: string,
  supportId: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): RouteResponse {
  return {
    status,
    contentType: purgeProblemContentType(status),
    headers,
    body: {
      supportId,
      title,
      httpStatus: status,
      detail,
      describedBy: "https://techdocs.akamai.com/purge-cache/reference/api-errors",
      ...extra,
    },
  };
}

/** Gateway-level errors (authentication, unknown path): {type, title, detail, status, instance}. */
export function gatewayProblem(status: number, title: string, detail: string, instance: string, kind: string): RouteResponse {
  return {
    status,
    contentType: PROBLEM_CONTENT_TYPE,
    body: { type: `https://problems.luna.akamaiapis.net/-/${kind}`, title, detail, status, instance },
  };
}
