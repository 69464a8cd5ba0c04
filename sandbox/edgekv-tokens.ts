/**
 * EdgeKV API v1 access-token emulation: /edgekv/v1/tokens[/{name}[/refresh]].
 * Facts and sources: shared/reference/akamai-apis.md §2 (OAS tokens.yaml and examples, GO fixtures).
 *
 * - Create answers 200; a name held by a live token is 409 (EKV_3000); a body that is not JSON is
 *   422 (EKV_2001); other bad input is 400 (EKV_2000). Names are free again once a token expired
 *   or was revoked.
 * - List hides expired tokens unless includeExpired=true, which adds those expired less than 30 days
 *   ago; with nothing to show it answers 404 "No tokens exist." (EKV_3000).
 * - Get answers 410 for an expired token; revoke answers 200 {name, uuid}; revoked tokens are gone.
 * - Legacy tokens: a JWT-like value, expiry required (tomorrow … six months), valid through the end of
 *   the expiry day (UTC) [U]. Enhanced tokens: no value, expiry "9999-12-31", tokenActivationStatus
 *   IN_PROGRESS in the create answer and COMPLETE from state.edgeKv.tokenActivationMs after creation.
 * - What create makes is state.edgeKv.createKind ("enhanced" by default, as Akamai creates today);
 *   tests switch it to "legacy" to make the older kind.
 *
 * - List items: Akamai's OpenAPI document lists only {name, uuid, expiry}; the live API adds
 *   tokenActivationStatus, issueDate, latestRefreshDate and nextScheduledRefreshDate, which Akamai's Go SDK
 *   (pkg/edgeworkers/edgekv_access_tokens.go) models as optional and nullable. Legacy tokens list them as
 *   null here, and enhanced tokens carry null until the date exists (latestRefreshDate before a refresh).
 *
 * Choices where the docs are silent: unknown request fields are refused (400; this catches the CLI's
 * restrictToEwids spelling); refreshing a legacy token is 400 [U]; revoking an expired token works [U];
 * refresh moves nextScheduledRefreshDate two months on (GO fixture: issue 04-30, next 06-30).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Route, RouteRequest, RouteResponse, SandboxContext } from "./routes";
import type { EdgeKvState, SandboxEdgeKvToken } from "./state";
import { addMonthsMs, edgeKvProblem, isPlainObject, isoDate, parseJsonBody } from "./api-problem";

export const ENHANCED_EXPIRY = "9999-12-31";
const DAY_MS = 86_400_000;
const EXPIRED_LISTING_MS = 30 * DAY_MS;
const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FIELDS = ["name", "allowOnStaging", "allowOnProduction", "namespacePermissions", "restrictToEdgeWorkerIds", "expiry"];
const SANDBOX_CPCODE = "1234567";

/** When a legacy token stops working: the end of its expiry day, UTC. Never for enhanced tokens. */
export function tokenExpiresMs(token: SandboxEdgeKvToken): number {
  return token.kind === "legacy" ? Date.parse(`${token.expiry}T00:00:00Z`) + DAY_MS : Number.POSITIVE_INFINITY;
}

export function isTokenExpired(token: SandboxEdgeKvToken, nowMs: number): boolean {
  return tokenExpiresMs(token) <= nowMs;
}

export function tokenActivationStatus(
  token: SandboxEdgeKvToken,
  nowMs: number,
): "IN_PROGRESS" | "COMPLETE" | "ERROR" | undefined {
  if (token.kind !== "enhanced") return undefined;
  return nowMs >= token.activationDoneMs ? token.activationOutcome : "IN_PROGRESS";
}

function isLive(token: SandboxEdgeKvToken, nowMs: number): boolean {
  return token.revokedMs === undefined && !isTokenExpired(token, nowMs);
}

/** The token a name addresses: the live one, else the latest expired one not revoked. */
export function tokenByName(state: EdgeKvState, name: string, nowMs: number): SandboxEdgeKvToken | undefined {
  const candidates = state.tokens.filter((t) => t.name === name && t.revokedMs === undefined);
  return candidates.find((t) => isLive(t, nowMs)) ?? candidates[candidates.length - 1];
}

/**
 * How an entry of a bundle's edgekv_tokens.js fares, in EdgeWorkers validation-type words
 * (TD-ew validation-types); undefined when it is usable.
 */
export function checkBundleTokenEntry(
  state: EdgeKvState,
  entry: { name: string; value?: string; reference?: string },
  nowMs: number,
): string | undefined {
  if (entry.reference !== undefined) {
    const token = state.tokens.find((t) => t.uuid === entry.reference && t.revokedMs === undefined);
    if (!token || token.kind !== "enhanced" || token.name !== entry.name) {
      return `ACCESS_TOKEN_REFERENCE_INVALID: reference for token ${entry.name} does not exist`;
    }
    if (tokenActivationStatus(token, nowMs) !== "COMPLETE") {
      return `ACCESS_TOKEN_REFERENCE_INVALID: token ${entry.name} has not been activated`;
    }
    return undefined;
  }
  const token = state.tokens.find(
    (t) => t.kind === "legacy" && t.name === entry.name && t.value === entry.value && t.revokedMs === undefined,
  );
  if (!token) return `ACCESS_TOKEN_INVALID: token ${entry.name} is not a token of this account`;
  if (isTokenExpired(token, nowMs)) return `ACCESS_TOKEN_EXPIRED: token ${entry.name} expired on ${token.expiry}`;
  return undefined;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A JWT-shaped value (header.payload.signature); the signature is random, nothing checks it. */
export function legacyValue(token: Omit<SandboxEdgeKvToken, "value">): string {
  const payload: Record<string, unknown> = {
    iss: "sandbox.edgeplane/EdgeKV",
    sub: "sandbox",
    jti: token.uuid,
    exp: Math.floor(tokenExpiresMs(token as SandboxEdgeKvToken) / 1000),
    iat: Math.floor(token.createdMs / 1000),
    env: [...(token.allowOnStaging ? ["s"] : []), ...(token.allowOnProduction ? ["p"] : [])],
    cpc: token.cpcode,
  };
  for (const [namespace, permissions] of Object.entries(token.namespacePermissions))
    payload[`namespace-${namespace}`] = permissions;
  return `${base64url({ typ: "JWT", alg: "RS256" })}.${base64url(payload)}.${randomBytes(64).toString("base64url")}`;
}

function fullView(token: SandboxEdgeKvToken, nowMs: number): Record<string, unknown> {
  if (token.kind === "legacy") return { name: token.name, uuid: token.uuid, expiry: token.expiry, value: token.value };
  return {
    name: token.name,
    uuid: token.uuid,
    allowOnProduction: token.allowOnProduction,
    allowOnStaging: token.allowOnStaging,
    cpcode: token.cpcode,
    expiry: token.expiry,
    issueDate: token.issueDate,
    latestRefreshDate: token.latestRefreshDate,
    nextScheduledRefreshDate: token.nextScheduledRefreshDate,
    namespacePermissions: token.namespacePermissions,
    ...(token.restrictToEdgeWorkerIds ? { restrictToEdgeWorkerIds: token.restrictToEdgeWorkerIds } : {}),
    tokenActivationStatus: tokenActivationStatus(token, nowMs),
  };
}

function listView(token: SandboxEdgeKvToken, nowMs: number): Record<string, unknown> {
  if (token.kind === "legacy") {
    // The live API lists legacy tokens with the enhanced workflow's fields present and null (see the module comment).
    return {
      name: token.name,
      uuid: token.uuid,
      expiry: token.expiry,
      tokenActivationStatus: null,
      issueDate: null,
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
    };
  }
  return {
    name: token.name,
    uuid: token.uuid,
    expiry: token.expiry,
    tokenActivationStatus: tokenActivationStatus(token, nowMs),
    issueDate: token.issueDate,
    latestRefreshDate: token.latestRefreshDate,
    nextScheduledRefreshDate: token.nextScheduledRefreshDate,
  };
}

type Parsed =
  | { ok: true; token: Omit<SandboxEdgeKvToken, "value"> }
  | { ok: false; status: number; code: string; detail: string };

function parseCreate(body: Buffer, state: EdgeKvState, nowMs: number): Parsed {
  const bad = (detail: string): Parsed => ({ ok: false, status: 400, code: "EKV_2000", detail });
  const parsed = parseJsonBody(body);
  if (!parsed.ok)
    return {
      ok: false,
      status: 422,
      code: "EKV_2001",
      detail: "The JSON request body contained a syntax error or duplicate attributes.",
    };
  if (!isPlainObject(parsed.value)) return bad("The request body must be a JSON object.");
  const request = parsed.value;
  const unknown = Object.keys(request).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) return bad(`Unknown field(s): ${unknown.join(", ")}. Allowed: ${FIELDS.join(", ")}.`);

  const { name, allowOnStaging, allowOnProduction, namespacePermissions, restrictToEdgeWorkerIds, expiry } = request;
  if (typeof name !== "string" || !NAME.test(name)) return bad("Name contains invalid characters.");
  for (const [field, value] of [
    ["allowOnStaging", allowOnStaging],
    ["allowOnProduction", allowOnProduction],
  ] as const) {
    if (value !== undefined && typeof value !== "boolean") return bad(`${field} must be a boolean.`);
  }
  if (allowOnStaging !== true && allowOnProduction !== true)
    return bad("At least one of allowOnStaging and allowOnProduction must be true.");
  if (
    !isPlainObject(namespacePermissions) ||
    Object.keys(namespacePermissions).length < 1 ||
    Object.keys(namespacePermissions).length > 20
  ) {
    return bad("namespacePermissions must name 1 to 20 namespaces.");
  }
  const permissions: Record<string, string[]> = {};
  for (const [namespace, list] of Object.entries(namespacePermissions)) {
    if (!NAMESPACE.test(namespace)) return bad(`Invalid namespace name: ${namespace.slice(0, 40)}.`);
    if (
      !Array.isArray(list) ||
      list.length < 1 ||
      list.length > 3 ||
      new Set(list).size !== list.length ||
      !list.every((p) => p === "r" || p === "w" || p === "d")
    ) {
      return bad("Invalid permission");
    }
    permissions[namespace] = [...(list as string[])];
  }
  if (
    restrictToEdgeWorkerIds !== undefined &&
    (!Array.isArray(restrictToEdgeWorkerIds) ||
      !restrictToEdgeWorkerIds.every((id) => typeof id === "string" && /^\d+$/.test(id)))
  ) {
    return bad("restrictToEdgeWorkerIds must be a list of EdgeWorker ids as strings.");
  }
  if (
    expiry !== undefined &&
    (typeof expiry !== "string" || !DATE.test(expiry) || Number.isNaN(Date.parse(`${expiry}T00:00:00Z`)))
  ) {
    return bad("expiry must be a date in the format YYYY-MM-DD.");
  }

  const kind = state.createKind;
  let tokenExpiry = ENHANCED_EXPIRY;
  if (kind === "legacy") {
    if (expiry === undefined) return bad("expiry is required.");
    const expiryMs = Date.parse(`${expiry as string}T00:00:00Z`);
    const today = Date.parse(`${isoDate(nowMs)}T00:00:00Z`);
    if (expiryMs < today + DAY_MS) return bad("expiry must be at least one day in the future.");
    if (expiryMs > addMonthsMs(today, 6)) return bad("expiry must be at most 6 months in the future.");
    tokenExpiry = expiry as string;
  }
  if (state.tokens.some((t) => t.name === name && isLive(t, nowMs))) {
    return { ok: false, status: 409, code: "EKV_3000", detail: `Token with name ${name} is already stored.` };
  }
  return {
    ok: true,
    token: {
      name,
      uuid: randomUUID(),
      kind,
      expiry: tokenExpiry,
      issueDate: isoDate(nowMs),
      allowOnStaging: allowOnStaging === true,
      allowOnProduction: allowOnProduction === true,
      namespacePermissions: permissions,
      ...(restrictToEdgeWorkerIds !== undefined ? { restrictToEdgeWorkerIds: [...(restrictToEdgeWorkerIds as string[])] } : {}),
      cpcode: SANDBOX_CPCODE,
      latestRefreshDate: null,
      nextScheduledRefreshDate: isoDate(addMonthsMs(nowMs, 2)),
      createdMs: nowMs,
      activationDoneMs: nowMs + state.tokenActivationMs,
      activationOutcome: "COMPLETE",
    },
  };
}

export function edgeKvTokenRoutes(context: SandboxContext): Route[] {
  const state = (): EdgeKvState => context.state.edgeKv;
  const problem = (status: number, code: string, detail: string): RouteResponse =>
    edgeKvProblem(status, code, detail, `/edgekv/error-instances/${randomUUID()}`, randomBytes(8).toString("hex"));
  const named = (request: RouteRequest, raw: string): SandboxEdgeKvToken | RouteResponse => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      name = raw;
    }
    if (!NAME.test(name)) return problem(400, "EKV_2000", "Name contains invalid characters.");
    const token = tokenByName(state(), name, request.nowMs);
    return token ?? problem(404, "EKV_3000", `Token with name ${name} does not exist.`);
  };
  const isResponse = (value: SandboxEdgeKvToken | RouteResponse): value is RouteResponse =>
    typeof (value as RouteResponse).status === "number";

  const create = (request: RouteRequest): RouteResponse => {
    const parsed = parseCreate(request.body, state(), request.nowMs);
    if (!parsed.ok) return problem(parsed.status, parsed.code, parsed.detail);
    const token: SandboxEdgeKvToken =
      parsed.token.kind === "legacy" ? { ...parsed.token, value: legacyValue(parsed.token) } : { ...parsed.token };
    state().tokens.push(token);
    const view = fullView(token, request.nowMs);
    // Akamai answers IN_PROGRESS on create (GO fixture), whatever the activation delay.
    if (token.kind === "enhanced") view.tokenActivationStatus = "IN_PROGRESS";
    return { status: 200, body: view };
  };

  const list = (request: RouteRequest): RouteResponse => {
    const includeExpired = request.query.get("includeExpired") === "true";
    const shown = state().tokens.filter((t) => {
      if (t.revokedMs !== undefined) return false;
      if (!isTokenExpired(t, request.nowMs)) return true;
      return includeExpired && request.nowMs - tokenExpiresMs(t) < EXPIRED_LISTING_MS;
    });
    if (shown.length === 0) return problem(404, "EKV_3000", "No tokens exist.");
    return { status: 200, body: { tokens: shown.map((t) => listView(t, request.nowMs)) } };
  };

  const get = (request: RouteRequest, params: string[]): RouteResponse => {
    const token = named(request, params[0] as string);
    if (isResponse(token)) return token;
    if (isTokenExpired(token, request.nowMs)) return problem(410, "EKV_3000", "Token has expired.");
    return { status: 200, body: fullView(token, request.nowMs) };
  };

  const refresh = (request: RouteRequest, params: string[]): RouteResponse => {
    const token = named(request, params[0] as string);
    if (isResponse(token)) return token;
    if (isTokenExpired(token, request.nowMs)) return problem(410, "EKV_3000", "Token has expired.");
    if (token.kind !== "enhanced")
      return problem(400, "EKV_2000", "Only tokens of the enhanced token workflow can be refreshed.");
    token.latestRefreshDate = isoDate(request.nowMs);
    token.nextScheduledRefreshDate = isoDate(addMonthsMs(request.nowMs, 2));
    return { status: 200, body: fullView(token, request.nowMs) };
  };

  const revoke = (request: RouteRequest, params: string[]): RouteResponse => {
    const token = named(request, params[0] as string);
    if (isResponse(token)) return token;
    token.revokedMs = request.nowMs;
    return { status: 200, body: { name: token.name, uuid: token.uuid } };
  };

  return [
    { method: "POST", pattern: /^\/edgekv\/v1\/tokens$/, handle: create },
    { method: "GET", pattern: /^\/edgekv\/v1\/tokens$/, handle: list },
    { method: "GET", pattern: /^\/edgekv\/v1\/tokens\/([^/]+)$/, handle: get },
    { method: "DELETE", pattern: /^\/edgekv\/v1\/tokens\/([^/]+)$/, handle: revoke },
    { method: "POST", pattern: /^\/edgekv\/v1\/tokens\/([^/]+)\/refresh$/, handle: refresh },
  ];
}
