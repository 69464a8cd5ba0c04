import { readBundleVersion } from "../../../core/akamai/edgeworkers";
import { packTgz, unpackTgz, type TarFile } from "../../../core/akamai/tgz";
import { MAX_VERSION_ID_CHARS, bundleTokensEntries, rebuildBundle, tokensVersionId } from "../../../core/tokens/bundle";
import { parseTokensFile, renderTokensFile } from "../../../core/tokens/tokens-file";

const OLD_TOKENS = renderTokensFile({
  other_ns: { name: "theirs-1", reference: "r-other" },
  site_config: { name: "site-ro-20250101", reference: "r-old" },
});

function previousBundle(withTokens: boolean): TarFile[] {
  return [
    {
      name: "bundle.json",
      data: Buffer.from(JSON.stringify({ "edgeworker-version": "1.4.0", description: "site", "bundle-version": 1 })),
    },
    { name: "main.js", data: Buffer.from('import { EdgeKV } from "./edgekv.js";\nexport function onClientRequest() {}\n') },
    { name: "edgekv.js", data: Buffer.from("export class EdgeKV {}\n") },
    ...(withTokens ? [{ name: "edgekv_tokens.js", data: Buffer.from(OLD_TOKENS) }] : []),
    { name: "lib/util.js", data: Buffer.from("export const x = 1;\n"), mode: 0o600 },
  ];
}

const identities = [{ namespace: "site_config", name: "site-ro-20250601", uuid: "r-new" }];
const entries = { site_config: { name: "site-ro-20250601", reference: "r-new" } };

describe("rebuildBundle", () => {
  it("round-trips: the new tgz holds the old files, the new tokens file and a bumped edgeworker-version", () => {
    const oldTgz = packTgz(previousBundle(true));
    const old = unpackTgz(oldTgz);
    const version = tokensVersionId(readBundleVersion(old), identities);
    const rebuilt = rebuildBundle(old, entries, version);
    const files = unpackTgz(rebuilt.tgz);

    expect(files.map((f) => f.name)).toEqual(old.map((f) => f.name)); // same files, same order
    for (const file of files) {
      const before = old.find((f) => f.name === file.name) as TarFile;
      expect(file.mode).toBe(before.mode);
      if (file.name !== "bundle.json" && file.name !== "edgekv_tokens.js") expect(file.data.equals(before.data)).toBe(true);
    }
    const manifest = JSON.parse((files.find((f) => f.name === "bundle.json") as TarFile).data.toString());
    expect(manifest).toEqual({ "edgeworker-version": version, description: "site", "bundle-version": 1 });
    expect(version).toMatch(/^1\.4\.0-ekv\.[0-9a-f]{8}$/);
    // Our namespace now names the new token; the namespace we do not manage is kept.
    expect(bundleTokensEntries(files)).toEqual({
      other_ns: { name: "theirs-1", reference: "r-other" },
      site_config: { name: "site-ro-20250601", reference: "r-new" },
    });
    // Deterministic: the same inputs give the same bytes.
    expect(rebuildBundle(unpackTgz(oldTgz), entries, version).tgz.equals(rebuilt.tgz)).toBe(true);
  });

  it("adds edgekv_tokens.js at the end when the bundle had none", () => {
    const rebuilt = rebuildBundle(previousBundle(false), entries, "1.4.0-ekv.00000000");
    const files = unpackTgz(rebuilt.tgz);
    expect(files.map((f) => f.name)).toEqual(["bundle.json", "main.js", "edgekv.js", "lib/util.js", "edgekv_tokens.js"]);
    expect(parseTokensFile((files[4] as TarFile).data.toString())).toEqual(entries);
  });

  it("refuses to keep the same version id and an unreadable tokens file", () => {
    expect(() => rebuildBundle(previousBundle(false), entries, "1.4.0")).toThrow(/must differ/);
    const broken = previousBundle(false).concat({ name: "edgekv_tokens.js", data: Buffer.from("module.exports = {}") });
    expect(() => rebuildBundle(broken, entries, "2")).toThrow(/edgekv_tokens\.js in the bundle is not/);
  });
});

describe("tokensVersionId", () => {
  it("is stable for the same tokens, changes with them, replaces its own suffix and stays within the limit", () => {
    const a = tokensVersionId("1.4.0", identities);
    expect(tokensVersionId("1.4.0", [...identities])).toBe(a);
    expect(tokensVersionId("1.4.0", [{ ...identities[0]!, uuid: "r-other" }])).not.toBe(a);
    expect(tokensVersionId(a, [{ ...identities[0]!, uuid: "r-other" }])).toMatch(/^1\.4\.0-ekv\.[0-9a-f]{8}$/);
    const long = tokensVersionId("release-2025.06.01-build.123456789", identities);
    expect(long.length).toBeLessThanOrEqual(MAX_VERSION_ID_CHARS);
    expect(long).toMatch(/^release-2025\.06\.01-ekv\.[0-9a-f]{8}$/);
  });
});
