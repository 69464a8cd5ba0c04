/**
 * Problem bodies of the IAM, EdgeKV and EdgeWorkers APIs (Fast Purge's are in problem.ts):
 * {type, title, detail, instance, status} plus each API's extras.
 * - IAM: {type, title, detail, instance, status, httpStatus} (the shape is not in the OAS snapshot [U]).
 * - EdgeKV: {type, title, detail, instance, status, errorCode, additionalDetail: {requestId}} (OAS examples/token-409.json).
 * - EdgeWorkers: {type, title, detail, instance, status, errorCode} (OAS examples/host-400.json).
 */
import { PROBLEM_CONTENT_TYPE } from "./problem";
import type { RouteResponse } from "./routes";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Not Found", // EdgeKV's 410 example says "Not Found" (OAS examples/token-410.json)
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
};

export function iamProblem(status: number, detail: string, instance: string, kind = "bad-request"): RouteResponse {
  return {
    status,
    contentType: PROBLEM_CONTENT_TYPE,
    body: {
      type: `/identity-management/error-types/${kind}`,
      title: TITLES[status] ?? "Error",
      detail,
      instance,
      status,
      httpStatus: status,
    },
  };
}

export function edgeKvProblem(
  status: number,
  errorCode: string,
  detail: string,
  instance: string,
  requestId: string,
): RouteResponse {
  const kind =
    { 400: "bad-request", 404: "not-found", 409: "conflict", 410: "not-found", 422: "unprocessable-entity" }[status] ?? "error";
  return {
    status,
    contentType: PROBLEM_CONTENT_TYPE,
    body: {
      type: `/edgekv/error-types/edgekv-${kind}`,
      title: TITLES[status] ?? "Error",
      detail,
      errorCode,
      instance,
      status,
      additionalDetail: { requestId },
    },
  };
}

export function edgeWorkersProblem(
  status: number,
  errorCode: string,
  detail: string,
  instance: string,
  kind = "bad-request",
): RouteResponse {
  return {
    status,
    contentType: PROBLEM_CONTENT_TYPE,
    body: { type: `/edgeworkers/error-types/${kind}`, title: TITLES[status] ?? "Error", detail, instance, status, errorCode },
  };
}

/** Parses a JSON request body; undefined when it is not JSON (callers answer with their API's error). */
export function parseJsonBody(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** YYYY-MM-DD of an epoch-ms time, UTC. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Adds calendar months in UTC (day clamped to the target month's length). */
export function addMonthsMs(ms: number, months: number): number {
  const date = new Date(ms);
  const target = new Date(
    Date.UTC(
      date.getUTCFullYear(),
      date.getUTCMonth() + months,
      1,
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return target.getTime();
}
