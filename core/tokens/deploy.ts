/**
 * Ships a set of edgekv_tokens.js entries to an EdgeWorker: the version active on a network is the base,
 * a new version is that bundle with the entries written in (bundle.ts), uploaded once, and activated on
 * STAGING, then on PRODUCTION when allowed.
 *
 * Every run starts from what the EdgeWorkers API says (nothing is remembered between runs):
 * - an activation still running (ours or anyone's) → wait for it, within the run's budget, else stop
 *   here and let the next scheduled run carry on;
 * - the active version already carries the entries → nothing to do on that network;
 * - else the target version id is derived from the base version and the tokens (tokensVersionId), so a
 *   run that stopped after uploading finds the same version and activates it rather than uploading again;
 * - an activation of the target that failed (ERROR, ABORTED, …) is retried by a later run: the same
 *   version is activated again (the EdgeWorkers API activates any existing version; nothing in its
 *   OpenAPI definition refuses a version whose earlier activation failed, and a new version id per try
 *   would only spend the 1000-versions-per-EdgeWorker limit on identical bundles). Retries back off —
 *   1 h, 2 h, 4 h after the 1st, 2nd, 3rd failure, counted from the failed activation's last change — so
 *   an hourly schedule does not burn its tries within one Akamai incident and a daily one retries every
 *   run. After MAX_ACTIVATION_ATTEMPTS failed tries the rotation is stalled: reported as a problem and in
 *   `stalled` (the reconcile turns it into the EdgeKvTokenRotationStalled metric) until a resume request.
 *   The tries are counted from the activation history, so nothing is stored between runs; a resume's
 *   activation carries RESUME_NOTE_PREFIX in its note and starts a fresh count.
 *
 * PRODUCTION: only when allowed, only after STAGING carries the entries, and only if a version is already
 * active there (the first production activation of an EdgeWorker is a human's decision). Its base is the
 * version active on PRODUCTION, so code that is only on STAGING is never promoted by a token change.
 */
import {
  FAILED_ACTIVATION_STATUSES,
  type EdgeWorkerActivation,
  type EdgeWorkersClient,
  type EdgeWorkersNetwork,
} from "../akamai/edgeworkers";
import { isAkamaiApiError } from "../akamai/api-error";
import { unpackTgz, type TarFile } from "../akamai/tgz";
import { bundleTokensEntries, rebuildBundle, tokensVersionId, type TokenIdentity } from "./bundle";
import { bundleKey, type ObjectStore } from "./object-store";
import { TokensFileError, entriesInclude, tokenNamesIn, type TokensFileEntries } from "./tokens-file";
import { pollUntil, type Waiter } from "./wait";

export type EdgeWorkersApi = Pick<
  EdgeWorkersClient,
  "listActivations" | "getActivation" | "activateVersion" | "getVersion" | "getVersionContent" | "uploadVersion"
>;

export type NetworkStepStatus =
  | "up-to-date"
  | "skipped"
  | "uploaded"
  | "activated"
  | "activating"
  | "waiting"
  | "failed"
  | "retry-later"
  | "stalled";

/** Failed activations of one version on one network (the first try included) before retries stop. */
export const MAX_ACTIVATION_ATTEMPTS = 4;
/** Wait before the next try after the n-th failure: this × 2^(n-1), i.e. 1 h, 2 h, 4 h. */
export const ACTIVATION_RETRY_BASE_MS = 3_600_000;
/** Starts the note of an activation made by a resume request; the try count restarts there. */
export const RESUME_NOTE_PREFIX = "edgeplane resume:";

export function activationRetryDelayMs(failures: number): number {
  return ACTIVATION_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1);
}

export interface StalledActivation {
  network: EdgeWorkersNetwork;
  version: string;
  failures: number;
}

export interface NetworkStep {
  network: EdgeWorkersNetwork;
  status: NetworkStepStatus;
  version?: string;
  detail?: string;
}

export interface DeployOutcome {
  edgeWorkerId: number;
  steps: NetworkStep[];
  /** Every network this deploy covers already carried the entries when the run looked (no change made). */
  settled: boolean;
  /** When the newest of those activations completed (epoch ms), when settled. */
  activeSinceMs?: number;
  /** Problems: each fails the run (after the rest of it is done). */
  problems: string[];
  /** Failed activations that a later run retries (no failure of this run). */
  notes: string[];
  /** Networks whose activation failed MAX_ACTIVATION_ATTEMPTS times: retries stopped until a resume. */
  stalled: StalledActivation[];
  /** Mutating calls made (uploads, activations, S3 puts). */
  writes: number;
}

export interface DeployContext {
  edgeWorkers: EdgeWorkersApi;
  store: ObjectStore;
  waiter: Waiter;
  /** Cap on waiting for one activation. */
  activationWaitMs: number;
  /** A resume request: try a failed activation now, whatever the count and backoff, and count afresh. */
  resume?: boolean;
  /** The event that resumes this deploy, for the stalled message. */
  resumeEvent?: string;
}

const isFinal = (status: string): boolean => status === "COMPLETE" || FAILED_ACTIVATION_STATUSES.includes(status);

function activationTimeMs(activation: EdgeWorkerActivation): number | undefined {
  const text = activation.lastModifiedTime ?? activation.createdTime;
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Downloads and unpacks versions once per run. */
export class BundleCache {
  private readonly files = new Map<string, Promise<TarFile[]>>();
  constructor(private readonly edgeWorkers: Pick<EdgeWorkersApi, "getVersionContent">) {}

  get(edgeWorkerId: number, version: string): Promise<TarFile[]> {
    const key = `${edgeWorkerId}/${version}`;
    let files = this.files.get(key);
    if (!files) {
      files = this.edgeWorkers.getVersionContent(edgeWorkerId, version).then((tgz) => unpackTgz(tgz));
      this.files.set(key, files);
      files.catch(() => this.files.delete(key));
    }
    return files;
  }
}

/** The versions active on each network (the latest COMPLETE activation per network). */
export async function activeVersions(
  edgeWorkers: Pick<EdgeWorkersApi, "listActivations">,
  edgeWorkerId: number,
): Promise<Map<EdgeWorkersNetwork, EdgeWorkerActivation>> {
  const active = await edgeWorkers.listActivations(edgeWorkerId, { activeOnNetwork: true });
  const byNetwork = new Map<EdgeWorkersNetwork, EdgeWorkerActivation>();
  for (const activation of active) {
    if (activation.status !== "COMPLETE") continue;
    const network = activation.network as EdgeWorkersNetwork;
    const known = byNetwork.get(network);
    if (!known || activation.activationId > known.activationId) byNetwork.set(network, activation);
  }
  return byNetwork;
}

export interface ServedBundle {
  edgeWorkerId: number;
  network: EdgeWorkersNetwork;
  version: string;
  /** The token names its edgekv_tokens.js references. */
  tokenNames: string[];
}

/**
 * The bundle active on each network of the EdgeWorker and the token names its edgekv_tokens.js references.
 * Throws when a bundle cannot be read (callers then keep every token: unknown use is use).
 */
export async function servedBundles(
  edgeWorkers: Pick<EdgeWorkersApi, "listActivations">,
  cache: BundleCache,
  edgeWorkerId: number,
): Promise<ServedBundle[]> {
  const served: ServedBundle[] = [];
  for (const [network, activation] of await activeVersions(edgeWorkers, edgeWorkerId)) {
    const entries = bundleTokensEntries(await cache.get(edgeWorkerId, activation.version));
    served.push({ edgeWorkerId, network, version: activation.version, tokenNames: tokenNamesIn(entries) });
  }
  return served;
}

/** Token names the bundles active on any network of the EdgeWorker reference (see servedBundles). */
export async function tokenNamesInUse(
  edgeWorkers: Pick<EdgeWorkersApi, "listActivations">,
  cache: BundleCache,
  edgeWorkerId: number,
): Promise<Set<string>> {
  return new Set((await servedBundles(edgeWorkers, cache, edgeWorkerId)).flatMap((b) => b.tokenNames));
}

function noteFor(entries: TokensFileEntries, resume: boolean): string {
  return `${resume ? RESUME_NOTE_PREFIX : "edgeplane:"} edgekv_tokens.js for ${tokenNamesIn(entries).join(", ")}`.slice(0, 128);
}

export interface ActivationTries {
  /** Failed activations since the latest resume (that one included) or success. */
  failures: number;
  /** The newest of them. */
  lastFailure?: EdgeWorkerActivation;
}

/** The failed tries of `version` on `network` in the activation history, since the latest resume. */
export function activationTries(
  history: readonly EdgeWorkerActivation[],
  version: string,
  network: EdgeWorkersNetwork,
): ActivationTries {
  const mine = history
    .filter((a) => a.version === version && a.network === network)
    .sort((a, b) => b.activationId - a.activationId);
  const tries: ActivationTries = { failures: 0 };
  for (const activation of mine) {
    if (FAILED_ACTIVATION_STATUSES.includes(activation.status)) {
      tries.failures++;
      tries.lastFailure ??= activation;
    }
    // Tries before a resume, or before the version once activated fine, no longer count.
    if (activation.status === "COMPLETE" || activation.note?.startsWith(RESUME_NOTE_PREFIX)) break;
  }
  return tries;
}

export async function deployTokens(
  edgeWorkerId: number,
  entries: TokensFileEntries,
  identities: readonly TokenIdentity[],
  activateOnProduction: boolean,
  context: DeployContext,
  cache: BundleCache = new BundleCache(context.edgeWorkers),
): Promise<DeployOutcome> {
  const { edgeWorkers, waiter } = context;
  const outcome: DeployOutcome = { edgeWorkerId, steps: [], settled: false, problems: [], notes: [], stalled: [], writes: 0 };
  const problem = (text: string): DeployOutcome => {
    outcome.problems.push(`EdgeWorker ${edgeWorkerId}: ${text}`);
    return outcome;
  };
  const stall = (network: EdgeWorkersNetwork, version: string, failures: number, last: EdgeWorkerActivation): DeployOutcome => {
    outcome.stalled.push({ network, version, failures });
    outcome.steps.push({
      network,
      status: "stalled",
      version,
      detail: `${failures} tries failed; retries stopped until a resume request`,
    });
    return problem(
      `token rotation stalled: ${failures} activations of version ${version} on ${network} failed (the last, ${last.activationId}, ended ${last.status}); ` +
        `no more automatic tries. Once the cause is fixed, resume with ${context.resumeEvent ?? '{"action":"resume","token":"<namePrefix>"}'} ` +
        `(README "When a token rotation fails")`,
    );
  };
  /** A failed try with tries left: a note, and the time from which a run tries again. */
  const retryLater = (
    network: EdgeWorkersNetwork,
    version: string,
    failures: number,
    last: EdgeWorkerActivation,
    status: NetworkStepStatus,
  ): DeployOutcome => {
    const when = new Date((activationTimeMs(last) ?? waiter.now()) + activationRetryDelayMs(failures)).toISOString();
    outcome.steps.push({
      network,
      status,
      version,
      detail: `activation ${last.activationId} ended ${last.status}; try ${failures + 1} of ${MAX_ACTIVATION_ATTEMPTS} from ${when}`,
    });
    outcome.notes.push(
      `EdgeWorker ${edgeWorkerId}: activation ${last.activationId} of version ${version} on ${network} ended ${last.status} ` +
        `(${failures} of ${MAX_ACTIVATION_ATTEMPTS} tries failed); a run from ${when} tries again`,
    );
    return outcome;
  };
  const waitForActivation = (activation: EdgeWorkerActivation): Promise<EdgeWorkerActivation> =>
    pollUntil(
      () => edgeWorkers.getActivation(edgeWorkerId, activation.activationId),
      (a) => isFinal(a.status),
      context.activationWaitMs,
      waiter,
    );

  // 1. Activations still running (anyone's): wait for them, or leave the rest to the next run.
  const history = await edgeWorkers.listActivations(edgeWorkerId);
  for (const running of history.filter((a) => !isFinal(a.status))) {
    const settled = await waitForActivation(running);
    if (!isFinal(settled.status)) {
      outcome.steps.push({
        network: settled.network as EdgeWorkersNetwork,
        status: "waiting",
        version: settled.version,
        detail: `activation ${settled.activationId} is ${settled.status}; the next run carries on`,
      });
      return outcome;
    }
  }

  // 2. Network by network.
  const active = await activeVersions(edgeWorkers, edgeWorkerId);
  const networks: EdgeWorkersNetwork[] = activateOnProduction ? ["STAGING", "PRODUCTION"] : ["STAGING"];
  let changed = false;
  let activeSinceMs = 0;
  for (const network of networks) {
    const current = active.get(network);
    if (network === "PRODUCTION" && current === undefined) {
      outcome.steps.push({
        network,
        status: "skipped",
        detail: "no version is active on PRODUCTION; the first production activation is done by hand",
      });
      continue;
    }
    const base = current ?? active.get("PRODUCTION");
    if (base === undefined) {
      return problem(
        "no version is active on STAGING or PRODUCTION to add edgekv_tokens.js to; upload and activate a first version by hand",
      );
    }
    let baseFiles: TarFile[];
    let present: TokensFileEntries;
    try {
      baseFiles = await cache.get(edgeWorkerId, base.version);
      present = bundleTokensEntries(baseFiles);
    } catch (error) {
      if (error instanceof TokensFileError)
        return problem(`version ${base.version}: ${error.message}; fix the file by hand so it can be merged`);
      throw error;
    }
    if (current !== undefined && entriesInclude(present, entries)) {
      outcome.steps.push({ network, status: "up-to-date", version: current.version });
      activeSinceMs = Math.max(activeSinceMs, activationTimeMs(current) ?? 0);
      continue;
    }

    const target = tokensVersionId(base.version, identities);
    const tries = activationTries(history, target, network);
    if (tries.failures > 0 && tries.lastFailure !== undefined && context.resume !== true) {
      const last = tries.lastFailure;
      if (tries.failures >= MAX_ACTIVATION_ATTEMPTS) return stall(network, target, tries.failures, last);
      const retryAtMs = (activationTimeMs(last) ?? 0) + activationRetryDelayMs(tries.failures);
      if (waiter.now() < retryAtMs) return retryLater(network, target, tries.failures, last, "retry-later");
    }

    let exists = true;
    try {
      await edgeWorkers.getVersion(edgeWorkerId, target);
    } catch (error) {
      if (!isAkamaiApiError(error, 404)) throw error;
      exists = false;
    }
    if (exists) {
      const stored = bundleTokensEntries(await cache.get(edgeWorkerId, target));
      if (!entriesInclude(stored, entries))
        return problem(`version ${target} exists but carries other tokens; delete it or change bundle.json by hand`);
    } else {
      const rebuilt = rebuildBundle(baseFiles, entries, target);
      await context.store.put(bundleKey(edgeWorkerId, target), rebuilt.tgz, "application/gzip");
      await edgeWorkers.uploadVersion(edgeWorkerId, rebuilt.tgz);
      outcome.writes += 2;
      outcome.steps.push({ network, status: "uploaded", version: target, detail: `based on version ${base.version}` });
    }

    const started = await edgeWorkers.activateVersion(edgeWorkerId, {
      network,
      version: target,
      note: noteFor(entries, context.resume === true),
    });
    outcome.writes += 1;
    changed = true;
    const finished = await waitForActivation(started);
    if (finished.status === "COMPLETE") {
      outcome.steps.push({ network, status: "activated", version: target });
      continue;
    }
    if (isFinal(finished.status)) {
      const failures = (context.resume === true ? 0 : tries.failures) + 1;
      if (failures >= MAX_ACTIVATION_ATTEMPTS) return stall(network, target, failures, finished);
      return retryLater(network, target, failures, finished, "failed");
    }
    outcome.steps.push({
      network,
      status: "activating",
      version: target,
      detail: `activation ${finished.activationId} is ${finished.status}; the next run carries on`,
    });
    return outcome;
  }
  if (!changed) {
    outcome.settled = true;
    if (activeSinceMs > 0) outcome.activeSinceMs = activeSinceMs;
  }
  return outcome;
}
