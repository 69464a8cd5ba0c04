/**
 * The reconcile against the sandbox (EdgeKV tokens and EdgeWorkers over signed HTTP), with an in-memory
 * object store and a fake clock that `sleep` moves, so runs that "wait" take no real time.
 */
import { EdgeWorkersClient } from "../../../core/akamai/edgeworkers";
import { packTgz, unpackTgz, type TarFile } from "../../../core/akamai/tgz";
import { tokensFileKey } from "../../../core/tokens/object-store";
import { parseTokenRequest, reconcileTokens } from "../../../core/tokens/reconcile";
import { parseTokensFile, renderTokensFile } from "../../../core/tokens/tokens-file";
import { startHarness, type Harness } from "../../helpers/sandbox-harness";
import { MemoryStore, declaredToken, depsFor, settingsFor, writesSince } from "./helpers";

const DAY_MS = 86_400_000;
const EW = 4242;
const KEY = tokensFileKey("site-ro");

function baseBundle(version: string, extra: TarFile[] = []): Buffer {
  return packTgz([
    {
      name: "bundle.json",
      data: Buffer.from(`${JSON.stringify({ "edgeworker-version": version, description: "site" }, null, 2)}\n`),
    },
    { name: "main.js", data: Buffer.from('import { EdgeKV } from "./edgekv.js";\nexport async function onClientRequest() {}\n') },
    { name: "lib/util.js", data: Buffer.from("export const util = 1;\n") },
    ...extra,
  ]);
}

/** Uploads a first version and activates it on both networks, as a human would have. */
async function seedEdgeWorker(h: Harness, version = "1.0.0"): Promise<Buffer> {
  const ew = new EdgeWorkersClient(h.transport);
  const tgz = baseBundle(version);
  await ew.uploadVersion(EW, tgz);
  const activationMs = h.sandbox.state.edgeWorkers.activationMs;
  h.sandbox.state.edgeWorkers.activationMs = 0;
  await ew.activateVersion(EW, { network: "STAGING", version });
  await ew.activateVersion(EW, { network: "PRODUCTION", version });
  h.sandbox.state.edgeWorkers.activationMs = activationMs;
  return tgz;
}

function activeVersion(h: Harness, network: "STAGING" | "PRODUCTION"): string | undefined {
  const done = h.sandbox.state.edgeWorkers.activations.filter(
    (a) => a.network === network && a.outcome === "COMPLETE" && a.doneMs <= h.clock.now(),
  );
  return done.sort((a, b) => b.activationId - a.activationId)[0]?.version;
}

function liveTokenNames(h: Harness): string[] {
  return h.sandbox.state.edgeKv.tokens.filter((t) => t.revokedMs === undefined).map((t) => t.name);
}

describe("reconcileTokens", () => {
  let h: Harness;
  let store: MemoryStore;
  afterEach(async () => {
    await h.close();
  });

  describe("without deployTo", () => {
    beforeEach(async () => {
      h = await startHarness({ edgeKv: { tokenActivationMs: 30_000 } });
      store = new MemoryStore(h.clock.now);
    });

    it("creates the missing token, waits for its activation, publishes edgekv_tokens.js, and a second run changes nothing", async () => {
      const deps = depsFor(h, store);
      const settings = settingsFor([
        declaredToken({ namespacePermissions: { site_config: ["r"], redirects: ["r", "w"] }, edgeWorkerIds: [EW] }),
      ]);

      const first = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(first.problems).toEqual([]);
      expect(first.created).toEqual([{ prefix: "site-ro", name: "site-ro-20250601", kind: "enhanced", reason: "missing" }]);
      expect(first.published).toEqual([KEY]);
      const token = h.sandbox.state.edgeKv.tokens[0]!;
      expect(token).toMatchObject({
        name: "site-ro-20250601",
        allowOnStaging: true,
        allowOnProduction: true,
        namespacePermissions: { site_config: ["r"], redirects: ["r", "w"] },
        restrictToEdgeWorkerIds: [String(EW)],
      });
      expect(store.text(KEY)).toBe(
        renderTokensFile({
          redirects: { name: "site-ro-20250601", reference: token.uuid },
          site_config: { name: "site-ro-20250601", reference: token.uuid },
        }),
      );
      expect(store.versions.get(KEY)?.[0]?.contentType).toBe("application/javascript");
      // One token covering two namespaces is named once.
      expect(deps.recorded.logs.filter((l) => l.message === "edgekv_tokens.js published").map((l) => l.details)).toEqual([
        { key: KEY, tokens: ["site-ro-20250601"] },
      ]);
      expect(deps.recorded.metrics).toEqual([]); // enhanced tokens never expire

      // Idempotent: only reads reach Akamai, no S3 write, nothing created.
      const before = h.sandbox.state.requests.length;
      const second = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(second).toMatchObject({ created: [], revoked: [], refreshed: [], published: [], problems: [], writes: 0 });
      expect(writesSince(h, before)).toEqual([]);
      expect(store.puts).toBe(1);
      expect(store.versions.get(KEY)).toHaveLength(1);
      expect(h.sandbox.state.edgeKv.tokens).toHaveLength(1);
      expect(second.tokens).toEqual([
        {
          prefix: "site-ro",
          current: "site-ro-20250601",
          kind: "enhanced",
          pending: [],
          superseded: [],
          live: [{ token: "site-ro-20250601", servedBy: [] }],
        },
      ]);
    });

    it("leaves a token that is still activating to a later run, then publishes it", async () => {
      const deps = depsFor(h, store);
      const settings = settingsFor([declaredToken()], { tokenActivationWaitMs: 5_000, pollIntervalMs: 1_000 });
      const first = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(first.created).toHaveLength(1);
      expect(first.published).toEqual([]);
      expect(first.notes.join("\n")).toMatch(/still activating/);
      expect(first.tokens[0]).toMatchObject({ pending: ["site-ro-20250601"] });

      h.clock.advance(60_000);
      const second = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(second.created).toEqual([]); // no second token while one is pending
      expect(second.published).toEqual([KEY]);
      expect(h.sandbox.state.edgeKv.tokens).toHaveLength(1);
    });

    it("rotates a legacy token that expires within the threshold, reports days to expiry, and never exposes the value", async () => {
      h.sandbox.state.edgeKv.createKind = "legacy";
      const deps = depsFor(h, store);
      const settings = settingsFor([declaredToken()]);
      const first = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(first.created).toEqual([{ prefix: "site-ro", name: "site-ro-20250601", kind: "legacy", reason: "missing" }]);
      const legacy = h.sandbox.state.edgeKv.tokens[0]!;
      expect(legacy.expiry).toBe("2025-11-28"); // 180 days out
      expect(parseTokensFile(store.text(KEY)!)).toEqual({ site_config: { name: "site-ro-20250601", value: legacy.value } });
      expect(deps.recorded.metrics).toEqual([{ token: "site-ro-20250601", days: 180 }]);

      // Nothing to do while it has more than 30 days left.
      h.clock.advance(140 * DAY_MS);
      const quiet = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(quiet.writes).toBe(0);
      expect(deps.recorded.metrics.at(-1)).toEqual({ token: "site-ro-20250601", days: 40 });

      // 29 days left: a new token (Akamai makes enhanced ones today) replaces it in the file.
      h.sandbox.state.edgeKv.createKind = "enhanced";
      h.clock.advance(11 * DAY_MS);
      const rotated = await reconcileTokens({ action: "reconcile" }, settings, deps);
      expect(rotated.created).toEqual([{ prefix: "site-ro", name: "site-ro-20251030", kind: "enhanced", reason: "expiring" }]);
      const fresh = h.sandbox.state.edgeKv.tokens[1]!;
      expect(parseTokensFile(store.text(KEY)!)).toEqual({ site_config: { name: "site-ro-20251030", reference: fresh.uuid } });
      expect(store.versions.get(KEY)).toHaveLength(2);
      // Without deployTo the old token is kept (and reported), not revoked.
      expect(rotated.revoked).toEqual([]);
      expect(rotated.notes.join("\n")).toMatch(/superseded token\(s\) site-ro-20250601 kept: without deployTo/);
      expect(rotated.tokens).toEqual([
        {
          prefix: "site-ro",
          current: "site-ro-20251030",
          kind: "enhanced",
          pending: [],
          superseded: ["site-ro-20250601"],
          // Nothing shows which token bundles use, so the kept legacy token still counts as live.
          live: [
            { token: "site-ro-20251030", servedBy: [] },
            { token: "site-ro-20250601", daysToExpiry: 29, servedBy: [] },
          ],
        },
      ]);
      expect(deps.recorded.metrics.at(-1)).toEqual({ token: "site-ro-20250601", days: 29 });

      const text = JSON.stringify([first, quiet, rotated, deps.recorded]);
      expect(text).not.toContain(legacy.value);
    });

    it("replaces an enhanced token whose permissions no longer match the declaration", async () => {
      const deps = depsFor(h, store);
      await reconcileTokens({ action: "reconcile" }, settingsFor([declaredToken()]), deps);
      h.clock.advance(DAY_MS);
      const changed = settingsFor([declaredToken({ namespacePermissions: { site_config: ["r", "w"] } })]);
      const result = await reconcileTokens({ action: "reconcile" }, changed, deps);
      expect(result.created).toEqual([{ prefix: "site-ro", name: "site-ro-20250602", kind: "enhanced", reason: "drift" }]);
      expect(h.sandbox.state.edgeKv.tokens[1]!.namespacePermissions).toEqual({ site_config: ["r", "w"] });
      expect((await reconcileTokens({ action: "reconcile" }, changed, deps)).writes).toBe(0);
    });

    it("handles refresh, rotate and revoke requests for declared tokens only", async () => {
      const deps = depsFor(h, store);
      const settings = settingsFor([declaredToken()]);
      await reconcileTokens({ action: "reconcile" }, settings, deps);

      const refreshed = await reconcileTokens({ action: "refresh", token: "site-ro" }, settings, deps);
      expect(refreshed).toMatchObject({ refreshed: ["site-ro-20250601"], problems: [], writes: 1 });

      const refused = await reconcileTokens({ action: "revoke", token: "site-ro-20250601" }, settings, deps);
      expect(refused.revoked).toEqual([]);
      expect(refused.problems.join("\n")).toMatch(/current token of site-ro; rotate first/);

      const rotated = await reconcileTokens({ action: "rotate", token: "site-ro" }, settings, deps);
      expect(rotated.created).toEqual([{ prefix: "site-ro", name: "site-ro-20250601-2", kind: "enhanced", reason: "requested" }]);

      const revoked = await reconcileTokens({ action: "revoke", token: "site-ro-20250601" }, settings, deps);
      expect(revoked).toMatchObject({ revoked: [{ name: "site-ro-20250601", reason: "requested" }], problems: [] });
      expect(liveTokenNames(h)).toEqual(["site-ro-20250601-2"]);

      const foreign = await reconcileTokens({ action: "revoke", token: "someone-elses" }, settings, deps);
      expect(foreign.problems.join("\n")).toMatch(/not a token of this environment; declared prefixes: site-ro/);

      // A forced revoke of the current token (say its value leaked) replaces it at once.
      const forced = await reconcileTokens({ action: "revoke", token: "site-ro-20250601-2", force: true }, settings, deps);
      expect(forced.revoked).toEqual([{ name: "site-ro-20250601-2", reason: "requested (forced)" }]);
      expect(forced.created).toEqual([{ prefix: "site-ro", name: "site-ro-20250601-3", kind: "enhanced", reason: "requested" }]);
    });
  });

  describe("with deployTo", () => {
    beforeEach(async () => {
      h = await startHarness({ edgeKv: { tokenActivationMs: 30_000 }, edgeWorkers: { ids: [EW], activationMs: 10 * 60_000 } });
      store = new MemoryStore(h.clock.now);
    });

    const settings = (activateOnProduction: boolean, extra = {}) =>
      settingsFor([declaredToken({ edgeWorkerIds: [EW], deployTo: { edgeWorkerId: EW, activateOnProduction } })], {
        edgeWorkerActivationWaitMs: 60_000,
        pollIntervalMs: 10_000,
        ...extra,
      });

    it("ships the tokens in a new version on STAGING, then PRODUCTION, across runs, and then does nothing", async () => {
      const original = await seedEdgeWorker(h);
      const deps = depsFor(h, store);
      const s = settings(true);

      const run1 = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(run1.problems).toEqual([]);
      const token = h.sandbox.state.edgeKv.tokens[0]!;
      const [step] = run1.deployments[0]!.steps;
      expect(step).toMatchObject({ network: "STAGING", status: "uploaded", detail: "based on version 1.0.0" });
      const version = step!.version!;
      expect(version).toMatch(/^1\.0\.0-ekv\.[0-9a-f]{8}$/);
      expect(run1.deployments[0]!.steps[1]).toMatchObject({ network: "STAGING", status: "activating", version });

      // The uploaded bundle: the old files, the tokens file, the bumped version; a copy is kept in S3.
      const uploaded = h.sandbox.state.edgeWorkers.versions.find((v) => v.version === version)!;
      const files = unpackTgz(uploaded.tgz);
      const old = unpackTgz(original);
      expect(files.map((f) => f.name)).toEqual([...old.map((f) => f.name), "edgekv_tokens.js"]);
      for (const file of old.filter((f) => f.name !== "bundle.json"))
        expect(files.find((f) => f.name === file.name)!.data.equals(file.data)).toBe(true);
      expect(JSON.parse(files[0]!.data.toString())).toEqual({ "edgeworker-version": version, description: "site" });
      expect(files.at(-1)!.data.toString()).toBe(store.text(KEY));
      expect(parseTokensFile(files.at(-1)!.data.toString())).toEqual({
        site_config: { name: token.name, reference: token.uuid },
      });
      expect(store.versions.get(`bundles/${EW}/${version}.tgz`)?.[0]?.body.equals(uploaded.tgz)).toBe(true);

      // Still activating: the next run waits, within its budget, and touches nothing.
      const before2 = h.sandbox.state.requests.length;
      const run2 = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(run2.deployments[0]!.steps).toEqual([expect.objectContaining({ status: "waiting", version })]);
      expect(writesSince(h, before2)).toEqual([]);

      h.clock.advance(10 * 60_000);
      const run3 = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(run3.deployments[0]!.steps).toEqual([
        expect.objectContaining({ network: "STAGING", status: "up-to-date", version }),
        expect.objectContaining({ network: "PRODUCTION", status: "activating", version }),
      ]);
      expect(h.sandbox.state.edgeWorkers.versions).toHaveLength(2); // the same version goes to PRODUCTION

      h.clock.advance(10 * 60_000);
      const run4 = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(run4.deployments[0]).toMatchObject({ settled: true, steps: [{ status: "up-to-date" }, { status: "up-to-date" }] });
      expect(activeVersion(h, "STAGING")).toBe(version);
      expect(activeVersion(h, "PRODUCTION")).toBe(version);

      const before5 = h.sandbox.state.requests.length;
      const puts = store.puts;
      const run5 = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(run5).toMatchObject({ writes: 0, problems: [], created: [], published: [] });
      expect(writesSince(h, before5)).toEqual([]);
      expect(store.puts).toBe(puts);
    });

    it("after a legacy token's rotation, revokes the old token only once the new bundle is active everywhere and the grace period passed", async () => {
      await seedEdgeWorker(h);
      h.sandbox.state.edgeWorkers.activationMs = 0;
      h.sandbox.state.edgeKv.createKind = "legacy";
      const deps = depsFor(h, store);
      const s = settings(true);
      await reconcileTokens({ action: "reconcile" }, s, deps);
      const oldName = "site-ro-20250601";
      expect(activeVersion(h, "PRODUCTION")).toMatch(/-ekv\./);

      h.sandbox.state.edgeKv.createKind = "enhanced";
      h.clock.advance(151 * DAY_MS);
      const rotated = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(rotated.created).toMatchObject([{ reason: "expiring", name: "site-ro-20251030" }]);
      expect(rotated.deployments[0]!.steps.map((x) => x.status)).toEqual(["uploaded", "activated", "activated"]);
      expect(rotated.revoked).toEqual([]);
      expect(rotated.notes.join("\n")).toMatch(/kept until the bundle with site-ro-20251030 is active/);

      h.clock.advance(DAY_MS);
      const early = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(early.revoked).toEqual([]);
      expect(early.notes.join("\n")).toMatch(/kept until .* \(grace period/);
      expect(early.writes).toBe(0);

      h.clock.advance(DAY_MS);
      const after = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(after.revoked).toEqual([{ name: oldName, reason: "superseded by site-ro-20251030" }]);
      expect(liveTokenNames(h)).toEqual(["site-ro-20251030"]);
      expect((await reconcileTokens({ action: "reconcile" }, s, deps)).writes).toBe(0);
    });

    it("keeps the old token while PRODUCTION (not activated by the reconcile) still runs a bundle that uses it", async () => {
      await seedEdgeWorker(h);
      h.sandbox.state.edgeWorkers.activationMs = 0;
      const deps = depsFor(h, store);
      // First, a human-approved production rollout of the first token.
      await reconcileTokens({ action: "reconcile" }, settings(true), deps);
      const s = settings(false);
      const rotated = await reconcileTokens({ action: "rotate", token: "site-ro" }, s, deps);
      expect(rotated.deployments[0]!.steps.map((x) => [x.network, x.status])).toEqual([
        ["STAGING", "uploaded"],
        ["STAGING", "activated"],
      ]);
      h.clock.advance(10 * DAY_MS);
      const later = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(later.revoked).toEqual([]);
      expect(later.notes.join("\n")).toMatch(/superseded token site-ro-20250601 kept: an active bundle still references it/);
      expect(liveTokenNames(h)).toEqual(["site-ro-20250601", "site-ro-20250601-2"]);
    });

    it("reports an EdgeWorker with nothing active", async () => {
      const deps = depsFor(h, store);
      const none = await reconcileTokens({ action: "reconcile" }, settings(false), deps);
      expect(none.published).toEqual([KEY]); // the file is still published
      expect(none.problems).toEqual([
        `EdgeWorker ${EW}: no version is active on STAGING or PRODUCTION to add edgekv_tokens.js to; upload and activate a first version by hand`,
      ]);
    });

    it("retries a failed activation of the same version with backoff, and stalls after MAX_ACTIVATION_ATTEMPTS until a resume", async () => {
      await seedEdgeWorker(h);
      h.sandbox.state.edgeWorkers.activationMs = 0;
      h.sandbox.state.edgeWorkers.activationFaults = [{ network: "STAGING", outcome: "ERROR" }];
      const deps = depsFor(h, store);
      const s = settings(false);

      const first = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(first.problems).toEqual([]);
      expect(first.notes.join("\n")).toMatch(
        /ended ERROR \(1 of 4 tries failed\); a run from 2025-06-01T13:00:30.000Z tries again/,
      );
      const version = first.deployments[0]!.steps.find((x) => x.status === "failed")!.version!;

      // Within the backoff: nothing is written.
      h.clock.advance(30 * 60_000);
      const before = h.sandbox.state.requests.length;
      const early = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(early.deployments[0]!.steps).toEqual([
        expect.objectContaining({ network: "STAGING", status: "retry-later", version }),
      ]);
      expect(writesSince(h, before)).toEqual([]);

      // Tries 2, 3 (after 1 h, 2 h) fail; try 4 (after 4 h more) fails and stalls the rotation.
      for (const waitMs of [30 * 60_000, 2 * 3_600_000]) {
        h.clock.advance(waitMs);
        const retried = await reconcileTokens({ action: "reconcile" }, s, deps);
        expect(retried.problems).toEqual([]);
        expect(retried.deployments[0]!.steps).toEqual([expect.objectContaining({ status: "failed", version })]);
      }
      h.clock.advance(4 * 3_600_000);
      const stalled = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(stalled.stalled).toEqual([{ edgeWorkerId: EW, network: "STAGING", version, failures: 4 }]);
      expect(stalled.problems).toEqual([
        expect.stringMatching(
          /token rotation stalled: 4 activations of version .* on STAGING failed .* resume with \{"action":"resume","token":"site-ro"\}/,
        ),
      ]);
      expect(deps.recorded.stalled.at(-1)).toBe(1);
      // Every try activated the same version: one upload only.
      expect(h.sandbox.state.edgeWorkers.versions.map((v) => v.version)).toEqual(["1.0.0", version]);
      expect(h.sandbox.state.edgeWorkers.activations.filter((a) => a.version === version)).toHaveLength(4);

      // Stalled: later runs only read, and keep saying so.
      h.clock.advance(DAY_MS);
      const before2 = h.sandbox.state.requests.length;
      const still = await reconcileTokens({ action: "reconcile" }, s, deps);
      expect(still.stalled).toHaveLength(1);
      expect(writesSince(h, before2)).toEqual([]);

      // Akamai healthy again, a resume request activates the version now.
      h.sandbox.state.edgeWorkers.activationFaults = [];
      const resumed = await reconcileTokens({ action: "resume", token: "site-ro" }, s, deps);
      expect(resumed.problems).toEqual([]);
      expect(resumed.stalled).toEqual([]);
      expect(deps.recorded.stalled.at(-1)).toBe(0);
      expect(activeVersion(h, "STAGING")).toBe(version);
      expect(h.sandbox.state.edgeWorkers.activations.at(-1)!.note).toMatch(/^edgeplane resume: /);
    });

    it("a resume request for a prefix without deployTo is refused, naming why", async () => {
      const deps = depsFor(h, store);
      const result = await reconcileTokens({ action: "resume", token: "site-ro" }, settingsFor([declaredToken()]), deps);
      expect(result.problems).toEqual([
        "resume: site-ro has no deployTo; the reconcile activates nothing for it, so there is nothing to resume",
      ]);
    });
  });
});

describe("parseTokenRequest", () => {
  it("reads the schedule's event and the on-request actions, naming the allowed values otherwise", () => {
    expect(parseTokenRequest({ action: "reconcile" })).toEqual({ action: "reconcile" });
    expect(parseTokenRequest(undefined)).toEqual({ action: "reconcile" });
    expect(parseTokenRequest({ action: "revoke", token: "a-20250601", force: true })).toEqual({
      action: "revoke",
      token: "a-20250601",
      force: true,
    });
    expect(parseTokenRequest({ action: "resume", token: "site-ro" })).toEqual({ action: "resume", token: "site-ro" });
    expect(() => parseTokenRequest({ action: "delete" })).toThrow(
      "event.action must be one of reconcile, rotate, refresh, revoke, resume",
    );
    expect(() => parseTokenRequest({ action: "resume" })).toThrow(
      /event.token must be a token name or a declared namePrefix .* for action resume/,
    );
    expect(() => parseTokenRequest({ action: "rotate", token: "a b" })).toThrow(/event.token must be .* for action rotate/);
    expect(() => parseTokenRequest({ action: "revoke", token: "a-20250601", force: "yes" })).toThrow(
      "event.force must be true or false",
    );
    expect(() => parseTokenRequest({ token: "site-ro" })).toThrow("event has field(s) token that action reconcile does not take");
    expect(() => parseTokenRequest({ action: "resume", token: "site-ro", force: true })).toThrow(
      "event has field(s) force that action resume does not take",
    );
    expect(() => parseTokenRequest({ action: 3 })).toThrow(
      "event.action must be one of reconcile, rotate, refresh, revoke, resume",
    );
    expect(() => parseTokenRequest({ action: "refresh" })).toThrow(/event.token must be/);
    expect(() => parseTokenRequest("reconcile")).toThrow(/must be an object/);
  });
});
