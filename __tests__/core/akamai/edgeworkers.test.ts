import { EdgeWorkersClient, FAILED_ACTIVATION_STATUSES, readBundleVersion } from "../../../core/akamai/edgeworkers";
import { packTgz, unpackTgz, type TarFile } from "../../../core/akamai/tgz";
import { startHarness, type Harness } from "../../helpers/sandbox-harness";

const EW = 4242;

function files(version: string): TarFile[] {
  return [
    { name: "bundle.json", data: Buffer.from(JSON.stringify({ "edgeworker-version": version, description: "site" })) },
    { name: "main.js", data: Buffer.from('import { EdgeKV } from "./edgekv.js";\nexport function onClientRequest() {}\n') },
    { name: "lib/util.js", data: Buffer.from("export const x = 1;\n") },
  ];
}

describe("EdgeWorkersClient against the sandbox", () => {
  let h: Harness;
  let ew: EdgeWorkersClient;
  beforeEach(async () => {
    h = await startHarness({ edgeWorkers: { ids: [EW], activationMs: 10_000 } });
    ew = new EdgeWorkersClient(h.transport);
  });
  afterEach(async () => {
    await h.close();
  });

  it("round-trips a bundle: download a version, add a file and bump the version, upload it again", async () => {
    const first = await ew.uploadVersion(EW, packTgz(files("1.0.0")));
    expect(first).toMatchObject({ edgeWorkerId: EW, version: "1.0.0", sequenceNumber: 1 });

    const previous = unpackTgz(await ew.getVersionContent(EW, "1.0.0"));
    expect(previous.map((f) => f.name)).toEqual(["bundle.json", "main.js", "lib/util.js"]);
    expect(readBundleVersion(previous)).toBe("1.0.0");
    const manifest = JSON.parse((previous[0] as TarFile).data.toString());
    const next = [
      { ...(previous[0] as TarFile), data: Buffer.from(JSON.stringify({ ...manifest, "edgeworker-version": "1.0.1" })) },
      ...previous.slice(1),
      { name: "notes.txt", data: Buffer.from("new file") },
    ];
    await ew.uploadVersion(EW, packTgz(next));
    const stored = unpackTgz(await ew.getVersionContent(EW, "1.0.1"));
    expect(stored.map((f) => [f.name, f.data.toString()])).toEqual(next.map((f) => [f.name, f.data.toString()]));
    expect((await ew.listVersions(EW)).map((v) => v.version)).toEqual(["1.0.0", "1.0.1"]);
    expect(await ew.getVersion(EW, "1.0.1")).toMatchObject({
      sequenceNumber: 2,
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    await expect(ew.uploadVersion(EW, packTgz(next))).rejects.toMatchObject({ status: 409 });
  });

  it("activates on staging, then production, following the status until COMPLETE", async () => {
    await ew.uploadVersion(EW, packTgz(files("7")));
    const activation = await ew.activateVersion(EW, { network: "STAGING", version: "7", note: "tokens rotated" });
    expect(activation).toMatchObject({ status: "PRESUBMIT", network: "STAGING", version: "7" });
    const seen: string[] = [];
    for (;;) {
      const { status } = await ew.getActivation(EW, activation.activationId);
      seen.push(status);
      if (status === "COMPLETE" || FAILED_ACTIVATION_STATUSES.includes(status)) break;
      h.clock.advance(2_500);
    }
    expect([...new Set(seen)]).toEqual(["PENDING", "IN_PROGRESS", "COMPLETE"]);

    const production = await ew.activateVersion(EW, { network: "PRODUCTION", version: "7" });
    h.clock.advance(10_000);
    expect((await ew.getActivation(EW, production.activationId)).status).toBe("COMPLETE");
    expect((await ew.listActivations(EW, { activeOnNetwork: true })).map((a) => [a.network, a.version])).toEqual([
      ["STAGING", "7"],
      ["PRODUCTION", "7"],
    ]);
    expect(await ew.listActivations(EW, { network: "STAGING" })).toHaveLength(1);
  });
});
