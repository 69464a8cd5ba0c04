/** Fakes for the reconcile: an in-memory object store that counts writes, a recording logger and metrics. */
import type { EdgeKvTokenConfig } from "../../../config/schema";
import type { AppLogger } from "../../../core/observability";
import type { TokenMetrics } from "../../../core/tokens/metrics";
import type { ObjectStore, StoredObject } from "../../../core/tokens/object-store";
import type { ReconcileDeps, ReconcileSettings } from "../../../core/tokens/reconcile";
import type { Harness } from "../../helpers/sandbox-harness";
import { EdgeKvTokensClient } from "../../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../../core/akamai/edgeworkers";
import { type LogEntry, recordingLogger } from "../../helpers/recording-logger";

export class MemoryStore implements ObjectStore {
  readonly versions = new Map<string, Array<{ body: Buffer; contentType: string; atMs: number }>>();
  puts = 0;
  constructor(private readonly now: () => number) {}

  async get(key: string): Promise<StoredObject | undefined> {
    const list = this.versions.get(key);
    const latest = list?.[list.length - 1];
    return latest ? { body: Buffer.from(latest.body), lastModifiedMs: latest.atMs } : undefined;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<{ versionId?: string }> {
    this.puts++;
    const list = this.versions.get(key) ?? [];
    list.push({ body: Buffer.from(body), contentType, atMs: this.now() });
    this.versions.set(key, list);
    return { versionId: `v${list.length}` };
  }

  text(key: string): string | undefined {
    const list = this.versions.get(key);
    return list?.[list.length - 1]?.body.toString("utf8");
  }
}

export interface Recorded {
  logs: LogEntry[];
  metrics: Array<{ token: string; days: number }>;
  /** One value per run: activations whose tries ran out. */
  stalled: number[];
}

export function recorders(): { logger: AppLogger; metrics: TokenMetrics; recorded: Recorded } {
  const recorded: Recorded = { logs: [], metrics: [], stalled: [] };
  return {
    logger: recordingLogger(recorded.logs),
    metrics: {
      daysToExpiry: (token, days) => void recorded.metrics.push({ token, days }),
      rotationStalled: (count) => void recorded.stalled.push(count),
    },
    recorded,
  };
}

export function declaredToken(overrides: Partial<EdgeKvTokenConfig> = {}): EdgeKvTokenConfig {
  return {
    namePrefix: "site-ro",
    namespacePermissions: { site_config: ["r"] },
    allowOnStaging: true,
    allowOnProduction: true,
    edgeWorkerIds: [],
    ...overrides,
  };
}

/** Deps wired to a harness; sleep moves the shared fake clock (so waiting never takes real time). */
export function depsFor(h: Harness, store: MemoryStore, rec = recorders()): ReconcileDeps & { recorded: Recorded } {
  return {
    tokens: new EdgeKvTokensClient(h.transport),
    edgeWorkers: new EdgeWorkersClient(h.transport),
    store,
    metrics: rec.metrics,
    logger: rec.logger,
    now: h.clock.now,
    sleep: async (ms) => h.clock.advance(ms),
    recorded: rec.recorded,
  };
}

export function settingsFor(declared: EdgeKvTokenConfig[], extra: Partial<ReconcileSettings> = {}): ReconcileSettings {
  return { declared, expiryThresholdDays: 30, ...extra };
}

/** Methods other than GET that reached the sandbox since `from` (index into state.requests). */
export function writesSince(h: Harness, from: number): string[] {
  return h.sandbox.state.requests
    .slice(from)
    .filter((r) => r.method !== "GET")
    .map((r) => `${r.method} ${r.path}`);
}
