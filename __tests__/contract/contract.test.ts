/**
 * Contract tests from Akamai's published definitions (openapi/, with the live differences of
 * live-differences.ts): every request the Akamai clients (core/akamai/*, the Fast Purge sender, the
 * validate-credentials checks) send to the sandbox validates against its operation — path, query
 * parameters, body — and every answer the sandbox gives validates against the operation's response for
 * that status and content type. The exchanges are taken from the sandbox as they crossed the wire.
 */
import { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../core/akamai/edgeworkers";
import { IamCredentialsClient } from "../../core/akamai/iam-credentials";
import { packTgz } from "../../core/akamai/tgz";
import { purgeHttpFromTransport } from "../../core/jobs/send";
import { planBatches } from "../../core/purge/planner";
import { PurgeBuckets } from "../../core/purge/rate-limit";
import { sendOne } from "../../core/purge/sender";
import { checkDefinitions } from "../../cli/validate-credentials/checks";
import { defaultSeedTokens } from "../../sandbox/seed-tokens";
import type { SandboxExchange, SandboxOptions } from "../../sandbox/server";
import { startHarness, type Harness } from "../helpers/sandbox-harness";
import { checkExchange, type CheckedExchange } from "./exchanges";
import { withLiveDifferences } from "./live-differences";
import { loadDocuments, OpenApiValidator } from "./openapi-validator";

const validator = new OpenApiValidator(withLiveDifferences(loadDocuments()));
const DAY_MS = 86_400_000;
const EW = 4242;

async function recorded(options: Partial<SandboxOptions>, run: (h: Harness) => Promise<void>): Promise<CheckedExchange[]> {
  const exchanges: SandboxExchange[] = [];
  const h = await startHarness({ ...options, onExchange: (exchange) => exchanges.push(exchange) });
  try {
    await run(h);
  } finally {
    await h.close();
  }
  return exchanges.map((exchange) => checkExchange(validator, exchange));
}

/** Every exchange conforms: the failures, if any, are shown with their problems. */
function expectConforming(checked: CheckedExchange[]): void {
  expect(checked.filter((c) => c.problems.length > 0)).toEqual([]);
}

function operationsHit(checked: CheckedExchange[]): string[] {
  return [...new Set(checked.map((c) => `${c.operation ?? "(none)"} → ${c.label.split(" → ")[1]}`))].sort();
}

test("EdgeKV tokens: the client's requests and the sandbox's answers, seeded legacy tokens with null fields included", async () => {
  const checked = await recorded(
    { edgeKv: { tokens: defaultSeedTokens(Date.UTC(2025, 5, 1, 12)), tokenActivationMs: 1_000 } },
    async (h) => {
      const tokens = new EdgeKvTokensClient(h.transport);
      const seeded = await tokens.listTokensDetailed();
      expect(seeded.unreadable).toEqual([]);
      expect(seeded.tokens.length).toBe(3);
      await tokens.listTokens({ includeExpired: true });
      // Enhanced (the default kind): no expiry sent, restricted to an EdgeWorker id.
      await tokens.createToken({
        name: "site-20250601",
        allowOnStaging: true,
        allowOnProduction: false,
        namespacePermissions: { site_config: ["r"] },
        restrictToEdgeWorkerIds: [String(EW)],
      });
      await tokens.getToken("site-20250601");
      h.clock.advance(DAY_MS);
      await tokens.refreshToken("site-20250601");
      // Legacy: with expiry.
      h.sandbox.state.edgeKv.createKind = "legacy";
      await tokens.createToken({
        name: "legacy-20250601",
        allowOnStaging: true,
        allowOnProduction: true,
        namespacePermissions: { default: ["r", "w"] },
        expiry: "2025-06-20",
      });
      await tokens.getToken("legacy-20250601");
      await expect(
        tokens.createToken({
          name: "legacy-20250601",
          allowOnStaging: true,
          allowOnProduction: true,
          namespacePermissions: { default: ["r"] },
          expiry: "2025-06-20",
        }),
      ).rejects.toMatchObject({ status: 409 });
      await expect(tokens.getToken("nope")).rejects.toMatchObject({ status: 404 });
      await tokens.revokeToken("site-20250601");
      h.clock.advance(20 * DAY_MS);
      await expect(tokens.getToken("legacy-20250601")).rejects.toMatchObject({ status: 410 });
      for (const token of await tokens.listTokens({ includeExpired: true })) await tokens.revokeToken(token.name);
      expect(await tokens.listTokens()).toEqual([]); // the documented 404 "No tokens exist"
    },
  );
  expectConforming(checked);
  expect(operationsHit(checked)).toEqual([
    "DELETE /edgekv/v1/tokens/{tokenName} → 200",
    "GET /edgekv/v1/tokens → 200",
    "GET /edgekv/v1/tokens → 404",
    "GET /edgekv/v1/tokens/{tokenName} → 200",
    "GET /edgekv/v1/tokens/{tokenName} → 404",
    "GET /edgekv/v1/tokens/{tokenName} → 410",
    "POST /edgekv/v1/tokens → 200",
    "POST /edgekv/v1/tokens → 409",
    "POST /edgekv/v1/tokens/{tokenName}/refresh → 200",
  ]);
});

test("EdgeWorkers: versions, content, activations and the id listing", async () => {
  const checked = await recorded({ edgeWorkers: { ids: [EW], activationMs: 1_000 } }, async (h) => {
    const workers = new EdgeWorkersClient(h.transport);
    const tgz = packTgz([
      { name: "bundle.json", data: Buffer.from('{"edgeworker-version":"1.0.0"}') },
      { name: "main.js", data: Buffer.from("export function onClientRequest() {}\n") },
    ]);
    await workers.uploadVersion(EW, tgz);
    await workers.listVersions(EW);
    await workers.getVersion(EW, "1.0.0");
    await workers.getVersionContent(EW, "1.0.0");
    const activation = await workers.activateVersion(EW, { network: "STAGING", version: "1.0.0", note: "contract test" });
    await workers.getActivation(EW, activation.activationId);
    h.clock.advance(2_000);
    await workers.listActivations(EW, { version: "1.0.0", network: "STAGING", activeOnNetwork: true });
    await workers.listActivations(EW);
    const [idsCheck] = checkDefinitions([]).filter((c) => c.id === "edgeworkers");
    expect(await idsCheck!.run(h.transport)).toBe("1 EdgeWorker id");
  });
  expectConforming(checked);
  expect(operationsHit(checked)).toEqual([
    "GET /edgeworkers/v1/ids → 200",
    "GET /edgeworkers/v1/ids/{edgeWorkerId}/activations → 200",
    "GET /edgeworkers/v1/ids/{edgeWorkerId}/activations/{activationId} → 200",
    "GET /edgeworkers/v1/ids/{edgeWorkerId}/versions → 200",
    "GET /edgeworkers/v1/ids/{edgeWorkerId}/versions/{version} → 200",
    "GET /edgeworkers/v1/ids/{edgeWorkerId}/versions/{version}/content → 200",
    "POST /edgeworkers/v1/ids/{edgeWorkerId}/activations → 201",
    "POST /edgeworkers/v1/ids/{edgeWorkerId}/versions → 201",
  ]);
});

test("IAM self-credentials: create, list, get, update, deactivate, delete", async () => {
  const checked = await recorded({}, async (h) => {
    const iam = new IamCredentialsClient(h.transport);
    const created = await iam.createSelfCredential();
    await iam.listSelfCredentials();
    await iam.listSelfCredentials({ actions: true });
    await iam.getSelfCredential(created.credentialId);
    await iam.updateSelfCredential(created.credentialId, {
      expiresOn: new Date(h.clock.now() + 30 * DAY_MS),
      status: "ACTIVE",
      description: "rotated",
    });
    await iam.deactivateSelfCredential(created.credentialId);
    await iam.deleteSelfCredential(created.credentialId);
  });
  expectConforming(checked);
  expect(operationsHit(checked)).toEqual([
    "DELETE /identity-management/v3/api-clients/self/credentials/{credentialId} → 204",
    "GET /identity-management/v3/api-clients/self/credentials → 200",
    "GET /identity-management/v3/api-clients/self/credentials/{credentialId} → 200",
    "POST /identity-management/v3/api-clients/self/credentials → 201",
    "POST /identity-management/v3/api-clients/self/credentials/{credentialId}/deactivate → 204",
    "PUT /identity-management/v3/api-clients/self/credentials/{credentialId} → 200",
  ]);
});

test("Fast Purge: the sender's purges of every type, action and network, a 429, and the credential checks' calls", async () => {
  const checked = await recorded({ buckets: { tag: { capacity: 2, refillPerSecond: 0.001 } } }, async (h) => {
    const http = purgeHttpFromTransport(h.transport);
    const buckets = new PurgeBuckets({ now: h.clock.now });
    const send = async (input: Parameters<typeof planBatches>[0]) => {
      const results = [];
      for (const batch of planBatches(input).batches)
        results.push(await sendOne(batch, { http, buckets, random: () => 0, attempt: 1, maxAttempts: 3 }));
      return results;
    };
    // The sandbox's tag bucket holds 2; the sender's model starts from Akamai's documented 5,000: Akamai answers 429.
    expect(await send({ type: "tag", action: "invalidate", network: "staging", objects: ["t1", "t2", "t3"] })).toEqual([
      expect.objectContaining({ kind: "retryAfter", cause: "throttled", status: 429 }),
    ]);
    expect(
      await send({
        type: "url",
        action: "invalidate",
        network: "staging",
        objects: ["https://www.example.com/a", "https://www.example.com/b?x=1"],
      }),
    ).toEqual([expect.objectContaining({ kind: "done" })]);
    expect(await send({ type: "url", action: "delete", network: "production", objects: ["https://www.example.com/c"] })).toEqual([
      expect.objectContaining({ kind: "done" }),
    ]);
    expect(await send({ type: "cpcode", action: "invalidate", network: "production", objects: [123456, 654321] })).toEqual([
      expect.objectContaining({ kind: "done" }),
    ]);
    expect(await send({ type: "tag", action: "delete", network: "staging", objects: ["t1", "t2"] })).toEqual([
      expect.objectContaining({ kind: "done" }),
    ]);
    const definitions = checkDefinitions([]);
    for (const id of ["ccu", "edgekv", "iam"]) await definitions.find((d) => d.id === id)!.run(h.transport);
  });
  expectConforming(checked);
  expect(operationsHit(checked)).toEqual([
    "GET /edgekv/v1/tokens → 404",
    "GET /identity-management/v3/api-clients/self/credentials → 200",
    "POST /ccu/v3/delete/tag/{network} → 201",
    "POST /ccu/v3/delete/url/{network} → 201",
    "POST /ccu/v3/invalidate/cpcode/{network} → 201",
    "POST /ccu/v3/invalidate/tag/{network} → 429",
    "POST /ccu/v3/invalidate/url/{network} → 201",
    "POST /ccu/v3/rate-limit-status/{objectType} → 201",
  ]);
});

test("Fast Purge: the sandbox's 400 answer to a request it refuses is the documented problem", async () => {
  const exchanges: SandboxExchange[] = [];
  const h = await startHarness({ onExchange: (exchange) => exchanges.push(exchange) });
  try {
    const response = await h.transport.request({
      method: "POST",
      path: "/ccu/v3/invalidate/url/staging",
      body: { objects: ["not a url"] },
    });
    expect(response.status).toBe(400);
  } finally {
    await h.close();
  }
  // Only the answer: the request is broken on purpose.
  const checked = exchanges.map((exchange) => checkExchange(validator, exchange, "response"));
  expect(checked).toEqual([
    { label: "POST /ccu/v3/invalidate/url/staging → 400", operation: "POST /ccu/v3/invalidate/url/{network}", problems: [] },
  ]);
});
