/** Error bodies in the shapes Akamai uses. */
import type { RouteResponse } from "./routes";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

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
    contentType: PROBLEM_CONTENT_TYPE,
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
