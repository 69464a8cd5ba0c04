/**
 * The scheduled reconcile of an environment's declared EdgeKV tokens (DESIGN.md "EdgeKV tokens"):
 *
 * 1. list the account's tokens, expired ones included;
 * 2. per declared token (namePrefix): find its current token (select.ts), wait a little for a pending
 *    one, and create a new token `<prefix>-<YYYYMMDD>[-n]` when there is none, when the current one is
 *    a legacy token expiring within the threshold, when its permissions no longer match the declaration,
 *    or when a rotation was requested;
 * 3. publish edgekv_tokens.js per declared token to `edgekv_tokens/<prefix>/edgekv_tokens.js`, written
 *    only when its bytes change (so an unchanged set makes no new S3 version);
 * 4. for declared tokens with deployTo: ship the entries in a new EdgeWorker version (deploy.ts);
 * 5. revoke superseded tokens once the bundles carrying their successor are active on every network the
 *    reconcile covers, no active bundle of the EdgeWorkers that may use them references them, and the
 *    grace period has passed since those activations; without deployTo nothing tells us when a bundle
 *    stopped using a token, so superseded tokens are only reported (legacy ones expire on their own);
 * 6. report days to expiry of the legacy tokens the networks actually serve: the tokens the active bundle
 *    on each network of the EdgeWorkers that may use a declared token references (the alarm takes the
 *    least), so a rotation stuck before PRODUCTION keeps reporting the old token's days, not the new
 *    one's; when no bundle can be seen using the prefix, its current and superseded tokens (unknown use
 *    is use). With it, the number of stalled activations (deploy.ts) for the rotation-stalled alarm.
 *
 * Requests (the Lambda event): reconcile (the schedule), rotate <prefix> (a new token now), refresh
 * <name|prefix> (enhanced tokens: POST …/refresh), revoke <name|prefix> (refused for a token that is
 * current or in use unless force is set), resume <prefix> (a stalled or backing-off activation of the
 * prefix's deployTo EdgeWorker is tried now and its try count starts afresh). Each request is followed
 * by a normal reconcile.
 *
 * Idempotent: a run with nothing to do only reads (no creates, refreshes, revokes, uploads, activations
 * or S3 writes). Token values never reach logs, results or errors.
 */
import * as z from "zod/mini";
import type { EdgeKvTokenConfig } from "../../config/schema";
import { isAkamaiApiError } from "../akamai/api-error";
import {
  daysToExpiry,
  edgeKvTokenKind,
  type EdgeKvToken,
  type EdgeKvTokenSummary,
  type EdgeKvTokensClient,
} from "../akamai/edgekv-tokens";
import type { AppLogger } from "../observability";
import type { TokenIdentity } from "./bundle";
import { createRequestFor, declaredNamespaces } from "./declared";
import {
  BundleCache,
  deployTokens,
  servedBundles,
  type DeployOutcome,
  type EdgeWorkersApi,
  type ServedBundle,
  type StalledActivation,
} from "./deploy";
import type { TokenMetrics } from "./metrics";
import { freeTokenNames, parseTokenName } from "./names";
import { tokensFileKey, type ObjectStore } from "./object-store";
import { prefixTokens, type PrefixTokens } from "./select";
import { entriesFor, parseTokensFile, renderTokensFile, tokenEntry, tokenNamesIn, type TokensFileEntries } from "./tokens-file";
import { pollUntil, type Waiter } from "./wait";

export type TokensApi = Pick<EdgeKvTokensClient, "listTokens" | "createToken" | "getToken" | "refreshToken" | "revokeToken">;

export const TOKEN_ACTIONS = ["reconcile", "rotate", "refresh", "revoke", "resume"] as const;

const TOKEN_ARGUMENT = "a token name or a declared namePrefix (1-32 characters of A-Z a-z 0-9 _ -)";
const tokenArgument = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/));

/** The Lambda event (the wire of the schedule and of hand-sent requests); README "When a token rotation fails". */
export const tokenRequestSchema = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("reconcile") }),
  z.strictObject({ action: z.literal("rotate"), token: tokenArgument }),
  z.strictObject({ action: z.literal("refresh"), token: tokenArgument }),
  z.strictObject({ action: z.literal("revoke"), token: tokenArgument, force: z.optional(z.boolean()) }),
  z.strictObject({ action: z.literal("resume"), token: tokenArgument }),
]);
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export class TokenRequestError extends Error {
  override name = "TokenRequestError";
}

/** Reads the Lambda event; the schedule sends {"action":"reconcile"}, and an event without action is a reconcile. */
export function parseTokenRequest(event: unknown): TokenRequest {
  if (event === undefined || event === null) return { action: "reconcile" };
  if (typeof event !== "object" || Array.isArray(event))
    throw new TokenRequestError('the event must be an object like {"action":"reconcile"}');
  const record = event as Record<string, unknown>;
  const action = record.action ?? "reconcile";
  const parsed = tokenRequestSchema.safeParse({ ...record, action });
  if (parsed.success) return parsed.data;
  // zod/mini carries no message locale: the messages are made here, naming the field and what it allows.
  const issue = parsed.error.issues[0];
  const field = issue?.path[0];
  if (field === "action" || typeof action !== "string" || !(TOKEN_ACTIONS as readonly string[]).includes(action)) {
    throw new TokenRequestError(`event.action must be one of ${TOKEN_ACTIONS.join(", ")}`);
  }
  if (issue?.code === "unrecognized_keys") {
    throw new TokenRequestError(`event has field(s) ${issue.keys.join(", ")} that action ${action} does not take`);
  }
  if (field === "force") throw new TokenRequestError("event.force must be true or false");
  throw new TokenRequestError(`event.token must be ${TOKEN_ARGUMENT} for action ${action}`);
}

export const DEFAULT_REVOKE_GRACE_MS = 2 * 86_400_000;
/** Expiry asked for on create; Akamai uses it only if it makes a legacy token (at most six months). */
export const DEFAULT_LEGACY_EXPIRY_DAYS = 180;
export const DEFAULT_TOKEN_ACTIVATION_WAIT_MS = 60_000;
export const DEFAULT_EDGEWORKER_ACTIVATION_WAIT_MS = 120_000;
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

export interface ReconcileSettings {
  declared: readonly EdgeKvTokenConfig[];
  /** Legacy tokens expiring within this many days are replaced. */
  expiryThresholdDays: number;
  revokeGraceMs?: number;
  legacyExpiryDays?: number;
  tokenActivationWaitMs?: number;
  edgeWorkerActivationWaitMs?: number;
  pollIntervalMs?: number;
  /** Total time the run may spend waiting (the Lambda's remaining time less a margin). Default: no limit. */
  budgetMs?: number;
}

export interface ReconcileDeps {
  tokens: TokensApi;
  /** Needed when a declared token has deployTo (and for in-use checks before revoking). */
  edgeWorkers?: EdgeWorkersApi;
  store: ObjectStore;
  metrics: TokenMetrics;
  logger: AppLogger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export type CreateReason = "missing" | "expiring" | "drift" | "requested";

export interface TokenReport {
  prefix: string;
  current?: string;
  kind?: "legacy" | "enhanced";
  /** Legacy tokens only. */
  daysToExpiry?: number;
  pending: string[];
  superseded: string[];
  /**
   * The tokens of the prefix the networks serve (what the days-to-expiry metric reports): each with the
   * `<edgeWorkerId>/<network>` bundles that reference it, or none when no bundle could be seen using the
   * prefix (then the current and superseded tokens are counted as live).
   */
  live: Array<{ token: string; daysToExpiry?: number; servedBy: string[] }>;
}

export interface ReconcileResult {
  request: TokenRequest;
  created: Array<{ prefix: string; name: string; kind: "legacy" | "enhanced"; reason: CreateReason }>;
  refreshed: string[];
  revoked: Array<{ name: string; reason: string }>;
  /** S3 keys written in this run. */
  published: string[];
  deployments: DeployOutcome[];
  /** Activations whose tries ran out (deploy.ts): retries stopped until a resume request. */
  stalled: Array<StalledActivation & { edgeWorkerId: number }>;
  tokens: TokenReport[];
  /** Things that wait for a later run (no failure). */
  notes: string[];
  /** Failures; the handler fails the invocation when there are any (after doing the rest). */
  problems: string[];
  /** Mutating calls: creates, refreshes, revokes, S3 puts, uploads, activations. 0 on a run with nothing to do. */
  writes: number;
}

interface PrefixWork {
  declared: EdgeKvTokenConfig;
  tokens: PrefixTokens;
  /** The current token in full (get answer, or create answer), when there is one. */
  current?: EdgeKvToken;
  entries?: TokensFileEntries;
}

const DAY_MS = 86_400_000;

function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = [...new Set(a ?? [])].sort();
  const right = [...new Set(b ?? [])].sort();
  return left.length === right.length && left.every((v, i) => v === right[i]);
}

/** What differs between an enhanced token's answer and its declaration (fields the answer lacks are not compared). */
export function tokenDrift(token: EdgeKvToken, declared: EdgeKvTokenConfig): string[] {
  const drift: string[] = [];
  if (token.namespacePermissions !== undefined) {
    const wanted = declared.namespacePermissions;
    const have = token.namespacePermissions;
    const same =
      sameSet(Object.keys(have), Object.keys(wanted)) &&
      Object.entries(wanted).every(([ns, permissions]) => sameSet(have[ns], permissions));
    if (!same) drift.push("namespacePermissions");
  }
  if (token.allowOnStaging !== undefined && token.allowOnStaging !== declared.allowOnStaging) drift.push("allowOnStaging");
  if (token.allowOnProduction !== undefined && token.allowOnProduction !== declared.allowOnProduction)
    drift.push("allowOnProduction");
  if (token.namespacePermissions !== undefined && !sameSet(token.restrictToEdgeWorkerIds, declared.edgeWorkerIds.map(String))) {
    drift.push("restrictToEdgeWorkerIds");
  }
  return drift;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function describeError(error: unknown): string {
  // AkamaiApiError and the clients' other errors carry operation, path, status and problem fields only.
  return error instanceof Error ? error.message : String(error);
}

export async function reconcileTokens(
  request: TokenRequest,
  settings: ReconcileSettings,
  deps: ReconcileDeps,
): Promise<ReconcileResult> {
  const { tokens, store, logger } = deps;
  const startMs = deps.now();
  const waiter: Waiter = {
    now: deps.now,
    sleep: deps.sleep,
    pollIntervalMs: settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    deadlineMs: settings.budgetMs === undefined ? Number.POSITIVE_INFINITY : startMs + settings.budgetMs,
  };
  const result: ReconcileResult = {
    request,
    created: [],
    refreshed: [],
    revoked: [],
    published: [],
    deployments: [],
    stalled: [],
    tokens: [],
    notes: [],
    problems: [],
    writes: 0,
  };
  const declared = settings.declared;
  const bundles = deps.edgeWorkers ? new BundleCache(deps.edgeWorkers) : undefined;
  // What each EdgeWorker's networks serve; read again after the deploys, which change it.
  const servedCache = new Map<number, Promise<ServedBundle[]>>();
  const servedBy = (edgeWorkerId: number): Promise<ServedBundle[]> => {
    if (!deps.edgeWorkers || !bundles) return Promise.reject(new Error("no EdgeWorkers client"));
    let served = servedCache.get(edgeWorkerId);
    if (!served) {
      served = servedBundles(deps.edgeWorkers, bundles, edgeWorkerId);
      served.catch(() => undefined); // read (and reported) by whoever awaits it
      servedCache.set(edgeWorkerId, served);
    }
    return served;
  };
  const namesInUse = async (edgeWorkerId: number): Promise<Set<string>> =>
    new Set((await servedBy(edgeWorkerId)).flatMap((b) => b.tokenNames));
  /** EdgeWorkers whose active bundles may hold a declared token. */
  const usersOf = (d: EdgeKvTokenConfig): number[] => [
    ...new Set([...(d.deployTo ? [d.deployTo.edgeWorkerId] : []), ...d.edgeWorkerIds]),
  ];

  // 0. The request, if it is more than a reconcile.
  const forceRotate = new Set<string>();
  const resumeEdgeWorkers = new Set<number>();
  if (request.action !== "reconcile") {
    const listed = await tokens.listTokens({ includeExpired: true });
    const owner = declared.find(
      (d) => d.namePrefix === request.token || parseTokenName(d.namePrefix, request.token) !== undefined,
    );
    if (!owner) {
      result.problems.push(
        `${request.action}: "${request.token}" is not a token of this environment; declared prefixes: ${declared.map((d) => d.namePrefix).join(", ") || "none"}`,
      );
    } else if (request.action === "rotate") {
      forceRotate.add(owner.namePrefix);
    } else if (request.action === "resume") {
      if (owner.deployTo) resumeEdgeWorkers.add(owner.deployTo.edgeWorkerId);
      else
        result.problems.push(
          `resume: ${owner.namePrefix} has no deployTo; the reconcile activates nothing for it, so there is nothing to resume`,
        );
    } else {
      const mine = prefixTokens(owner.namePrefix, listed, deps.now());
      const name = request.token === owner.namePrefix ? mine.current?.name : request.token;
      if (name === undefined || !mine.all.some((t) => t.name === name)) {
        result.problems.push(`${request.action}: no token ${name ?? `of prefix ${owner.namePrefix}`} exists`);
      } else if (request.action === "refresh") {
        try {
          await tokens.refreshToken(name);
          result.writes++;
          result.refreshed.push(name);
          logger.info("EdgeKV token refreshed", { token: name });
        } catch (error) {
          result.problems.push(`refresh ${name}: ${describeError(error)}`);
        }
      } else {
        let blocked: string | undefined;
        if (!request.force) {
          if (name === mine.current?.name) {
            blocked = `it is the current token of ${owner.namePrefix}; rotate first ({"action":"rotate","token":"${owner.namePrefix}"}) or send force: true`;
          } else if (deps.edgeWorkers) {
            for (const id of usersOf(owner)) {
              try {
                if ((await namesInUse(id)).has(name))
                  blocked = `an active bundle of EdgeWorker ${id} uses it; send force: true to revoke anyway`;
              } catch (error) {
                blocked = `cannot tell whether EdgeWorker ${id} uses it (${describeError(error)})`;
              }
              if (blocked !== undefined) break;
            }
          }
        }
        if (blocked !== undefined) {
          result.problems.push(`revoke ${name}: not revoked: ${blocked}`);
        } else {
          try {
            await tokens.revokeToken(name);
            result.writes++;
            result.revoked.push({ name, reason: request.force ? "requested (forced)" : "requested" });
            logger.info("EdgeKV token revoked on request", { token: name, forced: request.force === true });
            // A revoked current token (e.g. a leaked legacy value) is replaced now, never by an older one.
            if (name === mine.current?.name) forceRotate.add(owner.namePrefix);
          } catch (error) {
            result.problems.push(`revoke ${name}: ${describeError(error)}`);
          }
        }
      }
    }
  }

  // 1. List, expired ones included.
  const listed = await tokens.listTokens({ includeExpired: true });
  const taken = new Set(listed.map((t) => t.name));

  // 2. Per declared token.
  const work: PrefixWork[] = [];
  for (const d of declared) {
    const item: PrefixWork = { declared: d, tokens: prefixTokens(d.namePrefix, listed, deps.now()) };
    work.push(item);
    try {
      await reconcilePrefix(item);
    } catch (error) {
      result.problems.push(`${d.namePrefix}: ${describeError(error)}`);
    }
  }

  async function waitUntilActive(name: string): Promise<EdgeKvToken> {
    return pollUntil(
      () => tokens.getToken(name),
      (t) =>
        t.tokenActivationStatus === undefined || t.tokenActivationStatus === "COMPLETE" || t.tokenActivationStatus === "ERROR",
      settings.tokenActivationWaitMs ?? DEFAULT_TOKEN_ACTIVATION_WAIT_MS,
      waiter,
    );
  }

  async function reconcilePrefix(item: PrefixWork): Promise<void> {
    const d = item.declared;
    const prefix = d.namePrefix;
    const mine = item.tokens;

    // Tokens whose activation failed were never usable: revoke them so they do not count against the account.
    for (const failed of mine.failed) {
      await tokens.revokeToken(failed.name);
      result.writes++;
      result.revoked.push({ name: failed.name, reason: "activation ERROR" });
      logger.warn("EdgeKV token activation failed; revoked it", { prefix, token: failed.name });
    }

    // A newer token still activating: give it a little time. When it is ready it becomes current and the
    // tokens between it and the old current one are superseded.
    let pending: EdgeKvTokenSummary | undefined = mine.pendingNewer[0];
    let current: EdgeKvToken | undefined;
    if (pending !== undefined) {
      const settled = await waitUntilActive(pending.name);
      if (settled.tokenActivationStatus === "ERROR") {
        await tokens.revokeToken(settled.name);
        result.writes++;
        result.revoked.push({ name: settled.name, reason: "activation ERROR" });
        mine.pendingNewer.shift();
        pending = undefined;
      } else if (settled.tokenActivationStatus === "IN_PROGRESS") {
        result.notes.push(`${prefix}: token ${settled.name} is still activating; it becomes current in a later run`);
      } else {
        mine.superseded.unshift(...mine.pendingNewer.slice(1), ...(mine.current ? [mine.current] : []));
        mine.pendingNewer = [];
        mine.current = settled;
        current = settled;
        pending = undefined;
      }
    }
    if (current === undefined && mine.current !== undefined) current = await tokens.getToken(mine.current.name);

    // Does the prefix need a new token?
    let reason: CreateReason | undefined;
    let detail = "";
    if (forceRotate.has(prefix)) reason = "requested";
    else if (current === undefined && pending === undefined) reason = "missing";
    else if (current !== undefined && pending === undefined) {
      const days = daysToExpiry(current, deps.now());
      if (edgeKvTokenKind(current) === "legacy" && days <= settings.expiryThresholdDays) {
        reason = "expiring";
        detail = ` (${current.name} expires ${current.expiry}, ${days} day(s) left)`;
      } else if (edgeKvTokenKind(current) === "enhanced") {
        const drift = tokenDrift(current, d);
        if (drift.length > 0) {
          reason = "drift";
          detail = ` (${current.name} differs from the declaration in ${drift.join(", ")})`;
        }
      }
    }
    if (reason !== undefined) {
      const created = await createToken(d);
      result.created.push({ prefix, name: created.name, kind: edgeKvTokenKind(created), reason });
      logger.info("EdgeKV token created", {
        prefix,
        token: created.name,
        kind: edgeKvTokenKind(created),
        reason,
        detail: detail.trim(),
      });
      const ready = edgeKvTokenKind(created) === "legacy" ? created : await waitUntilActive(created.name);
      if (ready.tokenActivationStatus === "ERROR") {
        result.problems.push(
          `${prefix}: new token ${created.name} failed to activate (tokenActivationStatus ERROR); the next run revokes it and tries again`,
        );
      } else if (ready.tokenActivationStatus === "IN_PROGRESS") {
        result.notes.push(`${prefix}: new token ${created.name} is still activating; it becomes current in a later run`);
        mine.pendingNewer.unshift({
          name: created.name,
          uuid: created.uuid,
          expiry: created.expiry,
          tokenActivationStatus: "IN_PROGRESS",
        });
      } else {
        if (mine.current) mine.superseded.unshift(mine.current);
        mine.current = ready;
        current = ready;
      }
    }

    item.current = current;
    if (current !== undefined) {
      item.entries = entriesFor(declaredNamespaces(d), tokenEntry(current));
    }
    result.tokens.push({
      prefix,
      ...(current ? { current: current.name, kind: edgeKvTokenKind(current) } : {}),
      ...(current && edgeKvTokenKind(current) === "legacy" ? { daysToExpiry: daysToExpiry(current, deps.now()) } : {}),
      pending: mine.pendingNewer.map((t) => t.name),
      superseded: mine.superseded.map((t) => t.name),
      live: [],
    });
  }

  async function createToken(d: EdgeKvTokenConfig): Promise<EdgeKvToken> {
    const expiry = isoDay(deps.now() + (settings.legacyExpiryDays ?? DEFAULT_LEGACY_EXPIRY_DAYS) * DAY_MS);
    // Akamai frees the name of a revoked token, but a name that bundles or the published file may still
    // carry is not given to a different token: clearer for people, and in-use checks go by name.
    for (const revoked of result.revoked) taken.add(revoked.name);
    try {
      const published = await store.get(tokensFileKey(d.namePrefix));
      if (published) for (const name of tokenNamesIn(parseTokensFile(published.body.toString("utf8")))) taken.add(name);
    } catch {
      // An unreadable file only means fewer names are known to avoid.
    }
    for (const name of freeTokenNames(d.namePrefix, deps.now(), taken)) {
      taken.add(name);
      try {
        const created = await tokens.createToken(createRequestFor(d, name, expiry));
        result.writes++;
        return created;
      } catch (error) {
        if (isAkamaiApiError(error, 409)) continue; // taken by a token the list did not show: try the next name
        throw error;
      }
    }
    throw new Error(`no free token name left for ${d.namePrefix} today`);
  }

  // 3. Publish edgekv_tokens.js per declared token.
  for (const item of work) {
    if (item.entries === undefined) continue;
    const key = tokensFileKey(item.declared.namePrefix);
    const body = Buffer.from(renderTokensFile(item.entries), "utf8");
    try {
      const existing = await store.get(key);
      if (existing !== undefined && existing.body.equals(body)) continue;
      await store.put(key, body, "application/javascript");
      result.writes++;
      result.published.push(key);
      logger.info("edgekv_tokens.js published", { key, tokens: tokenNamesIn(item.entries) });
    } catch (error) {
      result.problems.push(`${item.declared.namePrefix}: publishing ${key}: ${describeError(error)}`);
    }
  }

  // 4. EdgeWorker bundles, one deploy per EdgeWorker id (tokens deploying to the same one share a file).
  const groups = new Map<number, PrefixWork[]>();
  for (const item of work) {
    const target = item.declared.deployTo;
    if (target) groups.set(target.edgeWorkerId, [...(groups.get(target.edgeWorkerId) ?? []), item]);
  }
  const deployed = new Map<number, DeployOutcome>();
  for (const [edgeWorkerId, items] of groups) {
    if (!deps.edgeWorkers) {
      result.problems.push(`EdgeWorker ${edgeWorkerId}: deployTo is declared but the reconcile has no EdgeWorkers client`);
      continue;
    }
    const notReady = items.filter((i) => i.entries === undefined).map((i) => i.declared.namePrefix);
    if (notReady.length > 0) {
      result.notes.push(
        `EdgeWorker ${edgeWorkerId}: waiting for a usable token of ${notReady.join(", ")} before building a bundle`,
      );
      continue;
    }
    const entries: TokensFileEntries = {};
    const identities: TokenIdentity[] = [];
    let clash: string | undefined;
    for (const item of items) {
      for (const [namespace, entry] of Object.entries(item.entries as TokensFileEntries)) {
        if (entries[namespace] !== undefined) clash = namespace;
        entries[namespace] = entry;
        identities.push({ namespace, name: entry.name, uuid: (item.current as EdgeKvToken).uuid });
      }
    }
    if (clash !== undefined) {
      result.problems.push(
        `EdgeWorker ${edgeWorkerId}: namespace ${clash} is covered by more than one declared token deploying there; give each namespace one token`,
      );
      continue;
    }
    const activateOnProduction = items.every((i) => i.declared.deployTo?.activateOnProduction === true);
    try {
      const outcome = await deployTokens(
        edgeWorkerId,
        entries,
        identities,
        activateOnProduction,
        {
          edgeWorkers: deps.edgeWorkers,
          store,
          waiter,
          activationWaitMs: settings.edgeWorkerActivationWaitMs ?? DEFAULT_EDGEWORKER_ACTIVATION_WAIT_MS,
          resume: resumeEdgeWorkers.has(edgeWorkerId),
          resumeEvent: JSON.stringify({ action: "resume", token: items[0]!.declared.namePrefix }),
        },
        bundles,
      );
      result.deployments.push(outcome);
      result.writes += outcome.writes;
      result.problems.push(...outcome.problems);
      result.notes.push(...outcome.notes);
      result.stalled.push(...outcome.stalled.map((s) => ({ edgeWorkerId, ...s })));
      deployed.set(edgeWorkerId, outcome);
      for (const step of outcome.steps) {
        if (step.status === "failed" || step.status === "retry-later" || step.status === "stalled")
          logger.warn("EdgeWorker activation failed", { edgeWorkerId, ...step });
        else if (step.status !== "up-to-date") logger.info("EdgeWorker bundle step", { edgeWorkerId, ...step });
      }
    } catch (error) {
      result.problems.push(`EdgeWorker ${edgeWorkerId}: ${describeError(error)}`);
    }
  }

  // 6. Days to expiry of the tokens the networks serve, read after the deploys changed them (done before
  // step 5: the revokes only drop tokens no network serves, so they do not change what is reported).
  servedCache.clear();
  const nowMs = deps.now();
  for (const item of work) {
    const report = result.tokens.find((t) => t.prefix === item.declared.namePrefix);
    if (report === undefined) continue;
    const prefix = item.declared.namePrefix;
    const live = new Map<string, string[]>();
    let unreadable: string | undefined;
    if (deps.edgeWorkers) {
      for (const id of usersOf(item.declared)) {
        try {
          for (const bundle of await servedBy(id)) {
            for (const name of bundle.tokenNames.filter((n) => parseTokenName(prefix, n) !== undefined)) {
              live.set(name, [...(live.get(name) ?? []), `${id}/${bundle.network}`]);
            }
          }
        } catch (error) {
          unreadable = `cannot read the active bundles of EdgeWorker ${id} (${describeError(error)})`;
        }
      }
    }
    if (live.size === 0 || unreadable !== undefined) {
      // No bundle seen using the prefix (not deployed by the reconcile, or unreadable): every token that
      // may be live counts, so a rotation nobody shipped still shows the old token's days.
      if (unreadable !== undefined) result.notes.push(`${prefix}: days to expiry counts every unexpired token: ${unreadable}`);
      for (const token of [item.current, ...item.tokens.superseded])
        if (token !== undefined && !live.has(token.name)) live.set(token.name, []);
    }
    for (const [name, where] of live) {
      const token = name === item.current?.name ? item.current : item.tokens.all.find((t) => t.name === name);
      if (token === undefined) {
        result.problems.push(
          `${prefix}: the bundle on ${where.join(", ")} references token ${name}, which the account does not list (revoked or long expired?)`,
        );
        report.live.push({ token: name, servedBy: where });
        continue;
      }
      const legacy = edgeKvTokenKind(token) === "legacy";
      const days = legacy ? daysToExpiry(token, nowMs) : undefined;
      report.live.push({ token: name, ...(days !== undefined ? { daysToExpiry: days } : {}), servedBy: where });
      if (days !== undefined) deps.metrics.daysToExpiry(name, days);
    }
  }
  deps.metrics.rotationStalled(result.stalled.length);

  // 5. Revoke superseded tokens whose successor is active everywhere and that no active bundle uses.
  const graceMs = settings.revokeGraceMs ?? DEFAULT_REVOKE_GRACE_MS;
  for (const item of work) {
    const superseded = item.tokens.superseded;
    if (superseded.length === 0) continue;
    const d = item.declared;
    const names = superseded.map((t) => t.name).join(", ");
    if (!d.deployTo) {
      result.notes.push(
        `${d.namePrefix}: superseded token(s) ${names} kept: without deployTo the reconcile cannot see when bundles stop using them ` +
          `(revoke by hand: edgeplane tokens revoke NAME --yes${superseded.some((t) => edgeKvTokenKind(t) === "legacy") ? "; legacy tokens also expire on their own" : ""})`,
      );
      continue;
    }
    const outcome = deployed.get(d.deployTo.edgeWorkerId);
    if (!outcome?.settled) {
      result.notes.push(
        `${d.namePrefix}: superseded token(s) ${names} kept until the bundle with ${item.current?.name ?? "the new token"} is active`,
      );
      continue;
    }
    const sinceMs = outcome.activeSinceMs ?? startMs;
    if (deps.now() - sinceMs < graceMs) {
      result.notes.push(
        `${d.namePrefix}: superseded token(s) ${names} kept until ${new Date(sinceMs + graceMs).toISOString()} (grace period after the bundle's activation)`,
      );
      continue;
    }
    const inUse = new Set<string>();
    let unknown: string | undefined;
    for (const id of usersOf(d)) {
      try {
        for (const name of await namesInUse(id)) inUse.add(name);
      } catch (error) {
        unknown = `cannot read the active bundles of EdgeWorker ${id} (${describeError(error)})`;
      }
    }
    if (unknown !== undefined) {
      result.notes.push(`${d.namePrefix}: superseded token(s) ${names} kept: ${unknown}`);
      continue;
    }
    for (const token of superseded) {
      if (inUse.has(token.name)) {
        result.notes.push(`${d.namePrefix}: superseded token ${token.name} kept: an active bundle still references it`);
        continue;
      }
      try {
        await tokens.revokeToken(token.name);
        result.writes++;
        result.revoked.push({ name: token.name, reason: `superseded by ${item.current?.name ?? "a newer token"}` });
        logger.info("superseded EdgeKV token revoked", { prefix: d.namePrefix, token: token.name });
      } catch (error) {
        result.problems.push(`${d.namePrefix}: revoking superseded token ${token.name}: ${describeError(error)}`);
      }
    }
  }

  return result;
}
