import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { buildTogether, bundleLambda, forgetBundlesInProcess, PROJECT_ROOT } from "../../constructs/aws/lambda-bundle";

test("a bundle is one minified index.js exporting handler, with fixed time and permissions, hashed as Lambda expects", () => {
  const bundle = bundleLambda("functions/purge-worker/index.ts");
  const zip = readFileSync(bundle.zipPath);
  expect(createHash("sha256").update(zip).digest("base64")).toBe(bundle.sha256Base64);
  expect(bundle.zipPath).toMatch(/purge-worker\.zip$/);
  const files = unzipSync(zip);
  expect(Object.keys(files)).toEqual(["index.js"]);
  const code = Buffer.from(files["index.js"]!).toString("utf8");
  expect(code).toContain("batchItemFailures");
  const mod: { exports: { handler?: unknown } } = { exports: {} };
  new Function("module", "exports", "require", code)(mod, mod.exports, require);
  expect(typeof mod.exports.handler).toBe("function");
  // DOS date of 1980-01-01 00:00 in the local header: time 0x0000, date 0x0021.
  expect(zip.readUInt16LE(10)).toBe(0);
  expect(zip.readUInt16LE(12)).toBe(0x21);
});

test("bundles are reused within a process", () => {
  expect(bundleLambda("functions/purge-api/index.ts")).toBe(bundleLambda("functions/purge-api/index.ts"));
});

test("bundling functions together or one by one gives the same bytes (a partly warm cache never changes a hash)", () => {
  const entries = ["functions/purge-api/index.ts", "functions/purge-worker/index.ts", "functions/rotate-credentials/index.ts"];
  const together = new Map(buildTogether(entries).map(([entry, built]) => [entry, built.bundle.sha256Base64]));
  expect([...together.keys()].sort()).toEqual(entries);
  for (const entry of entries) expect(buildTogether([entry])[0]![1].bundle.sha256Base64).toBe(together.get(entry));
});

describe("the on-disk bundle cache", () => {
  // Under cdktf.out/ (git-ignored), so a synth of the tree never sees this entry.
  const dir = join(PROJECT_ROOT, "cdktf.out", `.bundle-cache-test-${process.pid}`, "cache-probe");
  const entry = join(dir, "index.ts").slice(PROJECT_ROOT.length + 1);
  const write = (answer: string) =>
    writeFileSync(
      join(dir, "index.ts"),
      `import { answer } from "./answer";\nexport const handler = async () => answer + ${JSON.stringify(answer)};\n`,
    );

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "answer.ts"), `export const answer = "first:";\n`);
  });
  afterAll(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  test("reuses an unchanged bundle, and rebuilds when any project file it read changes", () => {
    write("a");
    forgetBundlesInProcess();
    const first = bundleLambda(entry);
    forgetBundlesInProcess();
    const again = bundleLambda(entry);
    expect(again.reused).toBe(true);
    expect(again.sha256Base64).toBe(first.sha256Base64);

    write("b"); // the entry itself
    forgetBundlesInProcess();
    const changedEntry = bundleLambda(entry);
    expect(changedEntry.reused).toBe(false);
    expect(changedEntry.sha256Base64).not.toBe(first.sha256Base64);

    writeFileSync(join(dir, "answer.ts"), `export const answer = "second:";\n`); // a module it imports
    forgetBundlesInProcess();
    const changedImport = bundleLambda(entry);
    expect(changedImport.reused).toBe(false);
    expect(Buffer.from(unzipSync(readFileSync(changedImport.zipPath))["index.js"]!).toString("utf8")).toContain("second:");
  });

  test("a damaged cache entry is rebuilt, never trusted", () => {
    write("c");
    forgetBundlesInProcess();
    const built = bundleLambda(entry);
    const cacheRoot = join(PROJECT_ROOT, "node_modules/.cache/edgeplane-bundles");
    const mine = readdirSync(cacheRoot).filter(
      (d) =>
        d.startsWith("cache-probe-") && readFileSync(join(cacheRoot, d, "manifest.json"), "utf8").includes(built.sha256Base64),
    );
    expect(mine.length).toBeGreaterThan(0);
    for (const d of mine) writeFileSync(join(cacheRoot, d, "bundle.zip"), "not a zip");
    forgetBundlesInProcess();
    const rebuilt = bundleLambda(entry);
    expect(rebuilt.reused).toBe(false);
    expect(rebuilt.sha256Base64).toBe(built.sha256Base64);
  });
});

test("a broken entry fails synth with esbuild's reason", () => {
  expect(() => bundleLambda("functions/does-not-exist/index.ts")).toThrow(/esbuild|Could not resolve|does-not-exist/);
});
