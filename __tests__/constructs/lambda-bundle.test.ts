import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { bundleLambda } from "../../constructs/aws/lambda-bundle";

test("a bundle is one minified index.js exporting handler, with fixed time and permissions, hashed as Lambda expects", () => {
  const bundle = bundleLambda("functions/purge-worker/index.ts");
  const zip = readFileSync(bundle.zipPath);
  expect(createHash("sha256").update(zip).digest("base64")).toBe(bundle.sha256Base64);
  const files = unzipSync(zip);
  expect(Object.keys(files)).toEqual(["index.js"]);
  const code = Buffer.from(files["index.js"]!).toString("utf8");
  expect(code).toContain("batchItemFailures");
  const mod: { exports: any } = { exports: {} };
  new Function("module", "exports", "require", code)(mod, mod.exports, require);
  expect(typeof mod.exports.handler).toBe("function");
  // DOS date of 1980-01-01 00:00 in the local-header: time 0x0000, date 0x0021.
  expect(zip.readUInt16LE(10)).toBe(0);
  expect(zip.readUInt16LE(12)).toBe(0x21);
});

test("bundles are cached per entry within a process", () => {
  expect(bundleLambda("functions/purge-api/index.ts")).toBe(bundleLambda("functions/purge-api/index.ts"));
});

test("a broken entry fails synth with esbuild's reason", () => {
  expect(() => bundleLambda("functions/does-not-exist/index.ts")).toThrow(/esbuild|Could not resolve|does-not-exist/);
});
