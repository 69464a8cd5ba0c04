/**
 * EdgeKV API v1 access tokens (`/edgekv/v1/tokens`). Facts: shared/reference/akamai-apis.md §2
 * (OAS apis/edgekv/v1/tokens.yaml, GO edgekv_access_tokens.go, TD-ekv).
 *
 * Two kinds live side by side:
 * - legacy tokens (created before 2024-08-30): a JWT `value` (a secret: it goes into edgekv_tokens.js)
 *   and an expiry at most six months out; after it they answer 410 and must be replaced;
 * - enhanced tokens: no value, referenced by `uuid`, expiry "9999-12-31", refreshed by Akamai
 *   (or on demand), with a tokenActivationStatus (IN_PROGRESS → COMPLETE, or ERROR).
 *
 * Create answers 200 (not 201); a taken name is 409; listing with no tokens at all is a 404
 * ("No tokens exist"), which listTokens turns into [].
 *
 * Answers are read tolerantly: beyond {name, uuid, expiry} every field may be absent or null. Akamai's Go
 * SDK (pkg/edgeworkers/edgekv_access_tokens.go) models tokenActivationStatus, issueDate,
 * latestRefreshDate and nextScheduledRefreshDate of list items as optional and nullable: a token never
 * refreshed, or a legacy token, carries null there. Null reads as "not set" (the field is left out).
 */
import * as z from "zod/mini";
import {
  dropUndefined,
  expectStatus,
  optionalField,
  parseBody,
  pathSegment,
  readList,
  type AkamaiHttp,
  type CallContext,
  type UnreadableItem,
} from "./api-error";

export const EDGEKV_TOKENS_PATH = "/edgekv/v1/tokens";
/** The expiry enhanced tokens report (GO test fixtures). */
export const ENHANCED_TOKEN_EXPIRY = "9999-12-31";

export type EdgeKvPermission = "r" | "w" | "d";
export type TokenActivationStatus = "IN_PROGRESS" | "COMPLETE" | "ERROR";

/** A token as get/create/refresh answer. Legacy tokens carry `value`; enhanced ones the other fields. */
export interface EdgeKvToken {
  name: string;
  uuid: string;
  /** YYYY-MM-DD; "9999-12-31" for enhanced tokens. */
  expiry: string;
  /** Legacy tokens only: the JWT that goes into edgekv_tokens.js. A secret: never log it. */
  value?: string;
  allowOnProduction?: boolean;
  allowOnStaging?: boolean;
  cpcode?: string;
  issueDate?: string;
  latestRefreshDate?: string;
  nextScheduledRefreshDate?: string;
  namespacePermissions?: Record<string, string[]>;
  restrictToEdgeWorkerIds?: string[];
  /** Enhanced tokens; usually IN_PROGRESS, COMPLETE or ERROR. */
  tokenActivationStatus?: string;
}

/** A list item: {name, uuid, expiry}, plus the refresh fields for enhanced tokens. */
export type EdgeKvTokenSummary = Pick<
  EdgeKvToken,
  "name" | "uuid" | "expiry" | "tokenActivationStatus" | "issueDate" | "latestRefreshDate" | "nextScheduledRefreshDate"
>;

export interface CreateEdgeKvTokenRequest {
  /** 1-32 of [A-Za-z0-9_-], unique among live tokens. */
  name: string;
  allowOnStaging: boolean;
  allowOnProduction: boolean;
  /** 1-20 namespaces, each with 1-3 distinct permissions from r, w, d. */
  namespacePermissions: Record<string, EdgeKvPermission[]>;
  /** Limits the token to these EdgeWorker ids (strings of digits); omitted means all. */
  restrictToEdgeWorkerIds?: string[];
  /** YYYY-MM-DD, at most six months out: legacy tokens only; enhanced tokens ignore it. */
  expiry?: string;
}

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const PERMISSIONS: readonly string[] = ["r", "w", "d"];

/** Problems with a create request, each naming the field and the rule; [] when it is valid. */
export function validateCreateTokenRequest(request: CreateEdgeKvTokenRequest): string[] {
  const problems: string[] = [];
  if (!TOKEN_NAME_PATTERN.test(request.name)) problems.push("name must be 1-32 characters of A-Z a-z 0-9 _ -");
  if (request.allowOnStaging !== true && request.allowOnProduction !== true) {
    problems.push("allowOnStaging or allowOnProduction must be true");
  }
  const namespaces = Object.entries(request.namespacePermissions ?? {});
  if (namespaces.length < 1 || namespaces.length > 20) problems.push("namespacePermissions must name 1-20 namespaces");
  for (const [namespace, permissions] of namespaces) {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      problems.push(
        `namespacePermissions: namespace "${namespace.slice(0, 40)}" must be 1-32 characters of A-Z a-z 0-9 _ - (not starting with -)`,
      );
    }
    const valid =
      Array.isArray(permissions) &&
      permissions.length >= 1 &&
      permissions.length <= 3 &&
      new Set(permissions).size === permissions.length &&
      permissions.every((p) => PERMISSIONS.includes(p));
    if (!valid) problems.push(`namespacePermissions.${namespace.slice(0, 40)} must be 1-3 distinct permissions from r, w, d`);
  }
  if (request.restrictToEdgeWorkerIds !== undefined) {
    if (!Array.isArray(request.restrictToEdgeWorkerIds) || !request.restrictToEdgeWorkerIds.every((id) => /^\d+$/.test(id))) {
      problems.push("restrictToEdgeWorkerIds must be a list of EdgeWorker ids (strings of digits)");
    }
  }
  if (
    request.expiry !== undefined &&
    !(DATE_PATTERN.test(request.expiry) && !Number.isNaN(Date.parse(`${request.expiry}T00:00:00Z`)))
  ) {
    problems.push("expiry must be a date YYYY-MM-DD");
  }
  return problems;
}

export class EdgeKvTokenRequestError extends Error {
  override name = "EdgeKvTokenRequestError";
}

/**
 * "enhanced" for tokens that Akamai refreshes (no value; uuid reference; far expiry or an activation
 * status), "legacy" for JWT tokens with a real expiry. List items of legacy tokens carry no value, so
 * the expiry and the activation status decide there.
 */
export function edgeKvTokenKind(token: Pick<EdgeKvToken, "value" | "expiry" | "tokenActivationStatus">): "legacy" | "enhanced" {
  if (token.value !== undefined && token.value !== "") return "legacy";
  if (token.tokenActivationStatus !== undefined || token.expiry === ENHANCED_TOKEN_EXPIRY) return "enhanced";
  return "legacy";
}

/** Whole days from `nowMs` to the end of the token's expiry day (UTC); Infinity for enhanced tokens. */
export function daysToExpiry(token: Pick<EdgeKvToken, "value" | "expiry" | "tokenActivationStatus">, nowMs: number): number {
  if (edgeKvTokenKind(token) === "enhanced") return Number.POSITIVE_INFINITY;
  const endOfDay = Date.parse(`${token.expiry}T00:00:00Z`) + 86_400_000;
  return Math.floor((endOfDay - nowMs) / 86_400_000);
}

const text = z.string().check(z.minLength(1));
const idText = z.pipe(z.union([z.string(), z.number()]), z.transform(String));
const tokenSchema = z.object({
  name: text,
  uuid: text,
  expiry: text,
  value: optionalField(z.string()),
  allowOnProduction: optionalField(z.boolean()),
  allowOnStaging: optionalField(z.boolean()),
  cpcode: optionalField(idText),
  issueDate: optionalField(z.string()),
  latestRefreshDate: optionalField(z.string()),
  nextScheduledRefreshDate: optionalField(z.string()),
  namespacePermissions: optionalField(z.record(z.string(), z.array(z.string()))),
  restrictToEdgeWorkerIds: optionalField(z.array(idText)),
  tokenActivationStatus: optionalField(z.string()),
});
const summarySchema = z.pick(tokenSchema, {
  name: true,
  uuid: true,
  expiry: true,
  tokenActivationStatus: true,
  issueDate: true,
  latestRefreshDate: true,
  nextScheduledRefreshDate: true,
});
const revokeSchema = z.object({ name: text, uuid: text });

/** A token list: the tokens that could be read, and the items that could not (by name). */
export interface EdgeKvTokenList {
  tokens: EdgeKvTokenSummary[];
  unreadable: UnreadableItem[];
}

export class EdgeKvTokensClient {
  constructor(private readonly http: AkamaiHttp) {}

  private tokenPath(name: string): string {
    if (!TOKEN_NAME_PATTERN.test(name))
      throw new EdgeKvTokenRequestError("token name must be 1-32 characters of A-Z a-z 0-9 _ -");
    return `${EDGEKV_TOKENS_PATH}/${pathSegment(name, "token name")}`;
  }

  /**
   * GET /edgekv/v1/tokens[?includeExpired=true]. includeExpired adds tokens that expired less than
   * 30 days ago. Akamai answers 404 "No tokens exist" (an EdgeKV problem) when there are none: that is [].
   */
  async listTokens(options: { includeExpired?: boolean } = {}): Promise<EdgeKvTokenSummary[]> {
    return (await this.listTokensDetailed(options)).tokens;
  }

  /** listTokens, plus the list items that could not be read (each named; they never fail the list). */
  async listTokensDetailed(options: { includeExpired?: boolean } = {}): Promise<EdgeKvTokenList> {
    const context: CallContext = { operation: "list EdgeKV tokens", method: "GET", path: EDGEKV_TOKENS_PATH };
    const response = await this.http.request({
      method: "GET",
      path: EDGEKV_TOKENS_PATH,
      ...(options.includeExpired ? { query: { includeExpired: "true" } } : {}),
    });
    if (response.status === 404) {
      // Only EdgeKV's own "no tokens" answer means empty; a gateway 404 (wrong host or path) is an error.
      const errorCode = (response.body as { errorCode?: unknown } | undefined)?.errorCode;
      if (typeof errorCode === "string" && errorCode.startsWith("EKV_")) return { tokens: [], unreadable: [] };
    }
    expectStatus(response, [200], context);
    const list = readList(summarySchema, response, context, "tokens");
    return { tokens: list.items.map((token) => dropUndefined(token) as EdgeKvTokenSummary), unreadable: list.unreadable };
  }

  /** POST /edgekv/v1/tokens → 200. Validates the request first (EdgeKvTokenRequestError names the fields). */
  async createToken(request: CreateEdgeKvTokenRequest): Promise<EdgeKvToken> {
    const problems = validateCreateTokenRequest(request);
    if (problems.length > 0) throw new EdgeKvTokenRequestError(`invalid EdgeKV token request: ${problems.join("; ")}`);
    const context: CallContext = { operation: `create EdgeKV token ${request.name}`, method: "POST", path: EDGEKV_TOKENS_PATH };
    const body = dropUndefined({
      name: request.name,
      allowOnStaging: request.allowOnStaging,
      allowOnProduction: request.allowOnProduction,
      namespacePermissions: request.namespacePermissions,
      restrictToEdgeWorkerIds: request.restrictToEdgeWorkerIds,
      expiry: request.expiry,
    });
    const response = await this.http.request({ method: "POST", path: EDGEKV_TOKENS_PATH, body });
    expectStatus(response, [200, 201], context);
    return dropUndefined(parseBody(tokenSchema, response, context)) as EdgeKvToken;
  }

  /** GET /edgekv/v1/tokens/{name} ("download"). An expired legacy token is AkamaiApiError status 410. */
  async getToken(name: string): Promise<EdgeKvToken> {
    const path = this.tokenPath(name);
    const context: CallContext = { operation: `get EdgeKV token ${name}`, method: "GET", path };
    const response = await this.http.request({ method: "GET", path });
    expectStatus(response, [200], context);
    return dropUndefined(parseBody(tokenSchema, response, context)) as EdgeKvToken;
  }

  /** POST /edgekv/v1/tokens/{name}/refresh (no body): forces an enhanced token's refresh. */
  async refreshToken(name: string): Promise<EdgeKvToken> {
    const path = `${this.tokenPath(name)}/refresh`;
    const context: CallContext = { operation: `refresh EdgeKV token ${name}`, method: "POST", path };
    const response = await this.http.request({ method: "POST", path });
    expectStatus(response, [200, 201], context);
    return dropUndefined(parseBody(tokenSchema, response, context)) as EdgeKvToken;
  }

  /** DELETE /edgekv/v1/tokens/{name} → 200 {name, uuid}. Irreversible; bundles still using it get 401. */
  async revokeToken(name: string): Promise<{ name: string; uuid: string }> {
    const path = this.tokenPath(name);
    const context: CallContext = { operation: `revoke EdgeKV token ${name}`, method: "DELETE", path };
    const response = await this.http.request({ method: "DELETE", path });
    expectStatus(response, [200], context);
    return parseBody(revokeSchema, response, context);
  }
}
