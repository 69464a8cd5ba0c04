import { createHash } from "node:crypto";
import { packTgz, type TarFile } from "../../core/akamai/tgz";
import { startHarness, type Harness } from "../helpers/sandbox-harness";

const EW = 4242;
const VERSIONS = `/edgeworkers/v1/ids/${EW}/versions`;
const ACTIVATIONS = `/edgeworkers/v1/ids/${EW}/activations`;

function bundle(
  version: string,
  extra: TarFile[] = [],
  manifest: object = { "edgeworker-version": version, description: "test" },
): Buffer {
  return packTgz([
    { name: "bundle.json", data: Buffer.from(JSON.stringify(manifest)) },
    { name: "main.js", data: Buffer.from("export function onClientRequest(request) {}\n") },
    ...extra,
  ]);
}

function tokensFile(entries: Record<string, { name: string; value?: string; reference?: string }>): TarFile {
  return {
    name: "edgekv_tokens.js",
    data: Buffer.from(`var edgekv_access_tokens = ${JSON.stringify(entries, null, 2)};\nexport { edgekv_access_tokens };\n`),
  };
}

describe("EdgeWorkers versions and activations in the sandbox", () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const upload = (tgz: Buffer, path = VERSIONS, contentType = "application/gzip") =>
    h.transport.request({ method: "POST", path, body: tgz, headers: { "Content-Type": contentType } });

  it("stores an uploaded bundle (201 + Location) and gives the same bytes back", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW] } });
    const tgz = bundle("1.0.0");
    const res = await upload(tgz);
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`${VERSIONS}/1.0.0`);
    expect(res.body).toEqual({
      edgeWorkerId: EW,
      version: "1.0.0",
      accountId: "A-SANDBOX",
      checksum: createHash("sha256").update(tgz).digest("hex"),
      sequenceNumber: "1", // a string in edgeworkers-v1.json
      createdBy: "sandbox",
      createdTime: "2025-06-01T12:00:00Z",
    });
    const content = await h.transport.request({
      method: "GET",
      path: `${VERSIONS}/1.0.0/content`,
      headers: { Accept: "application/gzip" },
    });
    expect(content.status).toBe(200);
    expect(content.headers["content-type"]).toBe("application/gzip");
    expect(content.rawBody.equals(tgz)).toBe(true);
    expect((await h.transport.request({ method: "GET", path: VERSIONS })).body).toEqual({ versions: [res.body] });
    expect((await h.transport.request({ method: "GET", path: `${VERSIONS}/1.0.0` })).body).toEqual(res.body);
  });

  it("refuses duplicates (409), bundles without bundle.json, main.js or a version, non-gzip bodies and unknown ids", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW] } });
    expect((await upload(bundle("1"))).status).toBe(201);
    expect((await upload(bundle("1"))).body).toMatchObject({
      status: 409,
      title: "Conflict",
      detail: expect.stringContaining("Version 1 already exists"),
    });
    const noManifest = packTgz([{ name: "main.js", data: Buffer.from("") }]);
    expect((await upload(noManifest)).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining("the bundle has no bundle.json"),
    });
    expect((await upload(bundle("2", [], { description: "no version" }))).body).toMatchObject({
      detail: expect.stringContaining('"edgeworker-version"'),
    });
    const noMain = packTgz([{ name: "bundle.json", data: Buffer.from('{"edgeworker-version":"3"}') }]);
    expect((await upload(noMain)).body).toMatchObject({ detail: expect.stringContaining("no main.js") });
    const executable = bundle("4", [{ name: "run.sh", data: Buffer.from("#!/bin/sh"), mode: 0o755 }]);
    expect((await upload(executable)).body).toMatchObject({
      detail: expect.stringContaining("executable files are not allowed: run.sh"),
    });
    expect((await upload(Buffer.from("not a tarball"))).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining("not a valid .tgz: not a gzip file"),
    });
    expect((await upload(bundle("5"), VERSIONS, "application/octet-stream")).status).toBe(415);
    expect((await upload(bundle("6"), "/edgeworkers/v1/ids/999/versions")).status).toBe(404);
    expect((await upload(bundle("7", [{ name: "._main.js", data: Buffer.from("resource fork") }]))).status).toBe(201);
  });

  it("checks edgekv_tokens.js against the EdgeKV tokens: references must exist and be activated, values must not be expired", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW] }, edgeKv: { tokenActivationMs: 60_000 } });
    const created = await h.transport.request({
      method: "POST",
      path: "/edgekv/v1/tokens",
      body: { name: "t-new", allowOnStaging: true, allowOnProduction: true, namespacePermissions: { default: ["r"] } },
    });
    const uuid = (created.body as { uuid: string }).uuid;
    const withReference = (version: string) =>
      bundle(version, [tokensFile({ "namespace-default": { name: "t-new", reference: uuid } })]);
    expect((await upload(withReference("1"))).body).toMatchObject({
      status: 400,
      detail: expect.stringContaining("ACCESS_TOKEN_REFERENCE_INVALID: token t-new has not been activated"),
    });
    h.clock.advance(60_000);
    expect((await upload(withReference("1"))).status).toBe(201);

    const wrong = bundle("2", [
      tokensFile({ "namespace-default": { name: "t-new", reference: "00000000-0000-0000-0000-000000000000" } }),
    ]);
    expect((await upload(wrong)).body).toMatchObject({
      detail: expect.stringContaining("ACCESS_TOKEN_REFERENCE_INVALID: reference for token t-new does not exist"),
    });

    h.sandbox.state.edgeKv.createKind = "legacy";
    const legacy = await h.transport.request({
      method: "POST",
      path: "/edgekv/v1/tokens",
      body: {
        name: "t-old",
        allowOnStaging: true,
        allowOnProduction: false,
        namespacePermissions: { default: ["r"] },
        expiry: "2025-06-05",
      },
    });
    const withValue = (version: string) =>
      bundle(version, [tokensFile({ "namespace-default": { name: "t-old", value: (legacy.body as { value: string }).value } })]);
    expect((await upload(withValue("3"))).status).toBe(201);
    h.clock.advance(5 * 86_400_000);
    expect((await upload(withValue("4"))).body).toMatchObject({
      detail: expect.stringContaining("ACCESS_TOKEN_EXPIRED: token t-old expired on 2025-06-05"),
    });

    expect((await upload(bundle("5", [{ name: "edgekv.js", data: Buffer.from("export class EdgeKV {}") }]))).body).toMatchObject({
      detail: expect.stringContaining("EDGEKV_TOKENS_FILE_MISSING"),
    });
    const garbled = bundle("6", [{ name: "edgekv_tokens.js", data: Buffer.from("module.exports = {}") }]);
    expect((await upload(garbled)).body).toMatchObject({ detail: expect.stringContaining("EDGEKV_TOKENS_FILE_INVALID") });
  });

  it("activates a version on STAGING then PRODUCTION: PRESUBMIT, PENDING, IN_PROGRESS, COMPLETE on the sandbox clock", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW], activationMs: 100_000 } });
    await upload(bundle("1"));
    await upload(bundle("2"));
    const activate = (version: string, network: string) =>
      h.transport.request({ method: "POST", path: ACTIVATIONS, body: { version, network, note: "test" } });
    const staging = await activate("2", "STAGING");
    expect(staging.status).toBe(201);
    expect(staging.body).toMatchObject({
      activationId: 1,
      edgeWorkerId: EW,
      version: "2",
      network: "STAGING",
      status: "PRESUBMIT",
      note: "test",
    });
    const status = async (id: number) =>
      ((await h.transport.request({ method: "GET", path: `${ACTIVATIONS}/${id}` })).body as { status: string }).status;
    expect(await status(1)).toBe("PENDING");
    h.clock.advance(50_000);
    expect(await status(1)).toBe("IN_PROGRESS");
    h.clock.advance(50_000);
    expect(await status(1)).toBe("COMPLETE");

    await activate("1", "PRODUCTION");
    h.clock.advance(100_000);
    await activate("2", "PRODUCTION");
    h.sandbox.state.edgeWorkers.activations.at(-1)!.outcome = "ERROR";
    h.clock.advance(100_000);
    expect(await status(3)).toBe("ERROR");
    const active = await h.transport.request({ method: "GET", path: ACTIVATIONS, query: { activeOnNetwork: "true" } });
    expect(
      (active.body as { activations: Array<{ network: string; version: string }> }).activations.map((a) => [
        a.network,
        a.version,
      ]),
    ).toEqual([
      ["STAGING", "2"],
      ["PRODUCTION", "1"],
    ]);
    const byVersion = await h.transport.request({ method: "GET", path: ACTIVATIONS, query: { version: "2" } });
    expect((byVersion.body as { activations: Array<{ activationId: number }> }).activations.map((a) => a.activationId)).toEqual([
      3, 1,
    ]);
  });

  it("fault injection: chosen activations by network and attempt end in ERROR or take longer", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW], activationMs: 1_000 } });
    await upload(bundle("1"));
    h.sandbox.state.edgeWorkers.activationFaults = [
      { network: "STAGING", attempts: [1, 3], outcome: "ERROR" },
      { network: "PRODUCTION", attempts: [1], activationMs: 500_000 },
    ];
    const activate = async (network: string) =>
      (
        (await h.transport.request({ method: "POST", path: ACTIVATIONS, body: { version: "1", network } })).body as {
          activationId: number;
        }
      ).activationId;
    const status = async (id: number) =>
      ((await h.transport.request({ method: "GET", path: `${ACTIVATIONS}/${id}` })).body as { status: string }).status;
    const ids = [await activate("STAGING"), await activate("STAGING"), await activate("STAGING"), await activate("STAGING")];
    const slow = await activate("PRODUCTION");
    const normal = await activate("PRODUCTION");
    h.clock.advance(1_000);
    expect(await Promise.all(ids.map(status))).toEqual(["ERROR", "COMPLETE", "ERROR", "COMPLETE"]);
    expect(await status(normal)).toBe("COMPLETE");
    expect(await status(slow)).toBe("PENDING");
    h.clock.advance(499_000);
    expect(await status(slow)).toBe("COMPLETE");
    expect(h.sandbox.state.edgeWorkers.activationFaults.map((r) => r.matched)).toEqual([4, 2]);
  });

  it("refuses activations of unknown versions, bad networks and long notes", async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW] } });
    await upload(bundle("1"));
    const activate = (body: object) => h.transport.request({ method: "POST", path: ACTIVATIONS, body });
    expect((await activate({ version: "9", network: "STAGING" })).body).toMatchObject({
      status: 400,
      detail: "Version 9 does not exist for EdgeWorker 4242",
    });
    expect((await activate({ version: "1", network: "staging" })).body).toMatchObject({
      status: 400,
      detail: "network must be one of STAGING, PRODUCTION",
    });
    expect((await activate({ version: "1", network: "STAGING", note: "n".repeat(129) })).status).toBe(400);
    expect((await h.transport.request({ method: "GET", path: `${ACTIVATIONS}/77` })).status).toBe(404);
  });
});
