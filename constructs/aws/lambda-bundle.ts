/**
 * Bundles a Lambda entry with esbuild into a zip whose bytes depend only on the source: fixed file time,
 * fixed permissions, one file. The same source therefore gives the same zip and the same hash, and plans
 * stay quiet when code did not change.
 */
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

export interface LambdaBundle {
  /** The zip on disk (outside the synth output; TerraformAsset copies it in). */
  zipPath: string;
  /** base64 SHA-256 of the zip: Lambda's source_code_hash. */
  sha256Base64: string;
  /** Size of the bundled JavaScript, before compression. */
  codeBytes: number;
  zipBytes: number;
}

export const PROJECT_ROOT = join(__dirname, "..", "..");
/** Local components, so the DOS time in the zip is the same in every time zone. */
const FIXED_ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);
/** -rw-r--r-- regular file, in the upper half of the external attributes (unix "made by"). */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

const cache = new Map<string, LambdaBundle>();

/** Bundles `entry` (relative to the project root) once per process. */
export function bundleLambda(entry: string): LambdaBundle {
  const cached = cache.get(entry);
  if (cached) return cached;
  const result = buildSync({
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Prefer packages' ES module builds: esbuild tree-shakes them far better (the AWS SDK shrinks by ~20%).
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    sourcemap: false,
    write: false,
    logLevel: "silent",
  });
  if (result.errors.length > 0 || result.outputFiles.length !== 1) {
    throw new Error(`esbuild could not bundle ${entry}: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const code = result.outputFiles[0]!.contents;
  const zip = zipSync({ "index.js": [code, { mtime: FIXED_ZIP_TIME, level: 9, os: 3, attrs: FILE_ATTRIBUTES }] });
  const sha = createHash("sha256").update(zip).digest();
  const dir = join(tmpdir(), "edgeplane-bundles", sha.toString("hex").slice(0, 32));
  mkdirSync(dir, { recursive: true });
  const zipPath = join(dir, `${bundleName(entry)}.zip`);
  writeFileSync(zipPath, zip);
  const bundle = { zipPath, sha256Base64: sha.toString("base64"), codeBytes: code.byteLength, zipBytes: zip.byteLength };
  cache.set(entry, bundle);
  return bundle;
}

/** functions/purge-api/index.ts -> purge-api */
function bundleName(entry: string): string {
  return relative("functions", entry).split(/[\\/]/)[0] || "function";
}
