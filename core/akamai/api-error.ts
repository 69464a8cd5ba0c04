/**
 * What the typed Akamai API clients (IAM credentials, EdgeKV tokens, EdgeWorkers) share: the transport
 * they need, and how an answer becomes a value or an error.
 *
 * Errors never carry secrets. An error answer contributes only the problem fields Akamai documents
 * (title, detail, type, instance, errorCode, supportId, requestId), each cut short; a success answer
 * that does not have the expected shape is reported by field path and rule, never by value, because
 * success answers hold secrets (a new credential's clientSecret, a legacy EdgeKV token's value).
 */
import { z } from "zod";
import type { EdgeGridRequest, EdgeGridResponse } from "../edgegrid/transport";

/** The slice of EdgeGridTransport the clients use, so tests can hand them a fake. */
export interface AkamaiHttp {
  request(req: EdgeGridRequest): Promise<EdgeGridResponse>;
}

/** The problem fields Akamai APIs send (RFC 7807 style plus Akamai's own). All optional. */
export interface AkamaiProblem {
  title?: string;
  detail?: string;
  type?: string;
  instance?: string;
  /** EdgeKV ("EKV_3000") and EdgeWorkers ("EW4807") error codes. */
  errorCode?: string;
  /** Fast Purge, IAM. */
  supportId?: string;
  /** EdgeKV (additionalDetail.requestId) and the API gateway (requestId). */
  requestId?: string;
}

const MAX_FIELD_CHARS = 300;

function cleanText(value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  // Control characters could forge log lines; long values are cut.
  const text = String(value).replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (text === "") return undefined;
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

/** Picks the documented problem fields out of an error body; anything else in the body is ignored. */
export function problemFrom(body: unknown): AkamaiProblem {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return {};
  const record = body as Record<string, unknown>;
  const additional = record.additionalDetail;
  const additionalRequestId =
    typeof additional === "object" && additional !== null ? (additional as Record<string, unknown>).requestId : undefined;
  const problem: AkamaiProblem = {};
  const set = (key: keyof AkamaiProblem, value: unknown): void => {
    const text = cleanText(value);
    if (text !== undefined) problem[key] = text;
  };
  set("title", record.title);
  set("detail", record.detail);
  set("type", record.type);
  set("instance", record.instance);
  set("errorCode", record.errorCode);
  set("supportId", record.supportId);
  set("requestId", additionalRequestId ?? record.requestId);
  return problem;
}

export interface CallContext {
  /** What the caller was doing, e.g. "create credential". */
  operation: string;
  method: string;
  /** Path without query. */
  path: string;
}

/** Akamai answered with a status the operation does not expect. */
export class AkamaiApiError extends Error {
  override name = "AkamaiApiError";
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly problem: AkamaiProblem;

  constructor(context: CallContext, status: number, problem: AkamaiProblem) {
    const summary = [problem.title, problem.detail].filter((part) => part !== undefined).join(": ");
    const ids = [
      problem.errorCode ? `errorCode ${problem.errorCode}` : undefined,
      problem.supportId ? `supportId ${problem.supportId}` : undefined,
      problem.requestId ? `requestId ${problem.requestId}` : undefined,
    ].filter((part) => part !== undefined);
    super(
      `${context.operation} (${context.method} ${context.path}) failed: HTTP ${status}` +
        (summary ? ` ${summary}` : "") +
        (ids.length > 0 ? ` (${ids.join(", ")})` : ""),
    );
    this.operation = context.operation;
    this.method = context.method;
    this.path = context.path;
    this.status = status;
    this.problem = problem;
  }

  get detail(): string | undefined {
    return this.problem.detail;
  }

  get supportId(): string | undefined {
    return this.problem.supportId;
  }

  get errorCode(): string | undefined {
    return this.problem.errorCode;
  }

  /** 401 (the credential was refused) or 403 (it lacks a permission). */
  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** 429 and 5xx: the same request may succeed later. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** A success status came with a body of the wrong shape. The message names fields, never values. */
export class AkamaiResponseShapeError extends Error {
  override name = "AkamaiResponseShapeError";
  constructor(
    readonly context: CallContext,
    readonly status: number,
    readonly problems: string[],
  ) {
    super(`${context.operation} (${context.method} ${context.path}): HTTP ${status} answer has an unexpected shape: ${problems.join("; ")}`);
  }
}

export function isAkamaiApiError(error: unknown, status?: number): error is AkamaiApiError {
  return error instanceof AkamaiApiError && (status === undefined || error.status === status);
}

/** Throws AkamaiApiError unless the answer has one of the expected statuses. */
export function expectStatus(response: EdgeGridResponse, expected: readonly number[], context: CallContext): void {
  if (!expected.includes(response.status)) throw new AkamaiApiError(context, response.status, problemFrom(response.body));
}

/** Parses a success body; zod issues carry paths and rules only (no input), so no value can leak. */
export function parseBody<T>(schema: z.ZodType<T>, response: EdgeGridResponse, context: CallContext): T {
  const result = schema.safeParse(response.body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 10).map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`);
  throw new AkamaiResponseShapeError(context, response.status, problems);
}

/** An ISO 8601 timestamp Date can parse. */
export const isoTimestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO 8601 timestamp");

/** Encodes one path segment; throws on empty text so "/tokens/" never addresses the collection. */
export function pathSegment(value: string | number, what: string): string {
  const text = String(value);
  if (text === "") throw new TypeError(`${what} must not be empty`);
  return encodeURIComponent(text);
}
