/**
 * What the typed Akamai API clients (IAM credentials, EdgeKV tokens, EdgeWorkers) share: the transport
 * they need, and how an answer becomes a value or an error.
 *
 * Errors never carry secrets. An error answer contributes only the problem fields Akamai documents
 * (title, detail, type, instance, errorCode, supportId, requestId), each cut short; a success answer
 * that does not have the expected shape is reported by field path and rule, never by value, because
 * success answers hold secrets (a new credential's clientSecret, a legacy EdgeKV token's value).
 *
 * Reading is tolerant, writing strict: optional answer fields may be absent or null (`optionalField`),
 * unknown fields are ignored (zod objects strip them), and one list item that cannot be read is set aside
 * by name (`readList`) instead of failing the whole list.
 */
import * as z from "zod/mini";
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what cleanText strips from answers
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

function cleanText(value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  // Control characters could forge log lines; long values are cut.
  const text = String(value).replace(CONTROL_CHARACTERS, " ").trim();
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
    super(
      `${context.operation} (${context.method} ${context.path}): HTTP ${status} answer has an unexpected shape: ${problems.join("; ")}`,
    );
  }
}

export function isAkamaiApiError(error: unknown, status?: number): error is AkamaiApiError {
  return error instanceof AkamaiApiError && (status === undefined || error.status === status);
}

/** Throws AkamaiApiError unless the answer has one of the expected statuses. */
export function expectStatus(response: EdgeGridResponse, expected: readonly number[], context: CallContext): void {
  if (!expected.includes(response.status)) throw new AkamaiApiError(context, response.status, problemFrom(response.body));
}

/** One zod issue as "path: rule", never with the input value (success answers hold secrets). */
export function describeIssue(issue: z.core.$ZodIssue, prefix: ReadonlyArray<PropertyKey> = []): string {
  const path = [...prefix, ...issue.path].map(String).join(".") || "(body)";
  let rule: string;
  switch (issue.code) {
    case "invalid_type":
      rule = `expected ${issue.expected}`;
      break;
    case "too_small":
      rule = `must be at least ${String(issue.minimum)}${issue.origin === "string" ? " character(s)" : issue.origin === "array" ? " item(s)" : ""}`;
      break;
    case "too_big":
      rule = `must be at most ${String(issue.maximum)}`;
      break;
    case "invalid_format":
      rule = `must be in the ${issue.format} format`;
      break;
    case "invalid_union":
      rule = "matches none of the allowed forms";
      break;
    case "custom":
      rule = issue.message;
      break;
    default:
      rule = issue.code;
  }
  return `${path}: ${rule}`;
}

/** The zod schemas the clients read answers with. */
export type AnswerSchema<T> = z.ZodMiniType<T>;

/** Parses a success body; problems carry paths and rules only (no input), so no value can leak. */
export function parseBody<T>(schema: AnswerSchema<T>, response: EdgeGridResponse, context: CallContext): T {
  const result = schema.safeParse(response.body);
  if (result.success) return result.data;
  throw new AkamaiResponseShapeError(
    context,
    response.status,
    result.error.issues.slice(0, 10).map((issue) => describeIssue(issue)),
  );
}

/** A list item that could not be read: named when it carries a readable name, else by its position. */
export interface UnreadableItem {
  /** "name my-token" or "item 3" (0-based position in the answer's list). */
  item: string;
  index: number;
  /** Field paths and rules, never values. */
  problems: string[];
}

/** What a list answer yields: the items that could be read, and the ones that could not. */
export interface ListResult<T> {
  items: T[];
  unreadable: UnreadableItem[];
}

const NAME_FIELDS = ["name", "credentialId", "clientToken", "activationId", "version", "edgeWorkerId", "uuid"];

function itemLabel(raw: unknown, index: number): string {
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    for (const field of NAME_FIELDS) {
      const text = cleanText((raw as Record<string, unknown>)[field]);
      // clientToken is not a secret (the secret is clientSecret); names are cut short like problem fields.
      if (text !== undefined) return `${field} ${text.slice(0, 64)}`;
    }
  }
  return `item ${index}`;
}

/**
 * Reads a list answer. The list itself must be there (`key` names it inside an object body, or null for
 * a body that is the list); each item is read on its own, and an item that fails is reported in
 * `unreadable` by name (or position) instead of taking the list down.
 */
export function readList<T>(
  itemSchema: AnswerSchema<T>,
  response: EdgeGridResponse,
  context: CallContext,
  key: string | null,
): ListResult<T> {
  const body = response.body;
  const list =
    key === null
      ? body
      : typeof body === "object" && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)[key]
        : undefined;
  if (!Array.isArray(list)) {
    throw new AkamaiResponseShapeError(context, response.status, [`${key ?? "(body)"}: expected array`]);
  }
  const result: ListResult<T> = { items: [], unreadable: [] };
  list.forEach((raw, index) => {
    const parsed = itemSchema.safeParse(raw);
    if (parsed.success) result.items.push(parsed.data);
    else {
      const prefix = key === null ? [index] : [key, index];
      result.unreadable.push({
        item: itemLabel(raw, index),
        index,
        problems: parsed.error.issues.slice(0, 5).map((issue) => describeIssue(issue, prefix)),
      });
    }
  });
  return result;
}

/** "2 unreadable item(s): name a (tokens.1.uuid: expected string); item 3 (…)", for warnings. */
export function describeUnreadable(unreadable: readonly UnreadableItem[]): string {
  return `${unreadable.length} unreadable item(s): ${unreadable.map((u) => `${u.item} (${u.problems.join("; ")})`).join("; ")}`;
}

/** An ISO 8601 timestamp Date can parse. */
export const isoTimestamp = z
  .string()
  .check(z.refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO 8601 timestamp"));

/** An optional answer field: absent and null both read as undefined (Akamai sends null for "not set"). */
export function optionalField<T>(schema: AnswerSchema<T>) {
  return z.pipe(
    z.optional(z.nullable(schema)),
    z.transform((value): T | undefined => value ?? undefined),
  );
}

/** Drops keys whose value is undefined, so optional fields that were absent or null stay absent. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Encodes one path segment; throws on empty text so "/tokens/" never addresses the collection. */
export function pathSegment(value: string | number, what: string): string {
  const text = String(value);
  if (text === "") throw new TypeError(`${what} must not be empty`);
  return encodeURIComponent(text);
}
