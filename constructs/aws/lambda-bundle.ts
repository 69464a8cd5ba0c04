/**
 * Bundles a Lambda entry with esbuild into a zip whose bytes depend only on the source: fixed file time,
 * fixed permissions, one file. The same source therefore gives the same zip and the same hash, and plans
 * stay quiet when code did not change.
 *
 * Bundling the AWS SDK dominates synth time (~0.5 s a function), so finished zips are kept in
 * node_modules/.cache/edgeplane-bundles and reused while their inputs are unchanged: every project file
 * esbuild read (by content hash), package-lock.json (standing for everything under node_modules), the
 * esbuild version and the build options. Entries are location-independent (paths are relative), so clones
 * sharing node_modules share them. EDGEPLANE_BUNDLE_CACHE=off bundles afresh every time.
 */
import { buildSync, version as esbuildVersion, type BuildOptions, type Metafile } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";

export interface LambdaBundle {
  /** The zip on disk, at a path named by its content (outside the synth output; TerraformAsset copies it in). */
  zipPath: string;
  /** base64 SHA-256 of the zip: Lambda's source_code_hash. */
  sha256Base64: string;
  /** Size of the bundled JavaScript, before compression. */
  codeBytes: number;
  zipBytes: number;
  /** True when the zip came from the on-disk cache instead of a new esbuild run. */
  reused: boolean;
}

export const PROJECT_ROOT = join(__dirname, "..", "..");
const CACHE_DIR = join(PROJECT_ROOT, "node_modules", ".cache", "edgeplane-bundles");
/** Local components, so the DOS time in the zip is the same in every time zone. */
const FIXED_ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);
/** -rw-r--r-- regular file, in the upper half of the external attributes (unix "made by"). */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  // Prefer packages' ES module builds: esbuild tree-shakes them far better (the AWS SDK shrinks by ~20%).
  mainFields: ["module", "main"],
  minify: true,
  legalComments: "none",
  sourcemap: false,
  logLevel: "silent",
  // Lambda passes credentials in the environment; the SDK's full default chain is dead weight there
  // (functions/aws/lambda-credentials.ts says why and what it weighs).
  alias: { "@aws-sdk/credential-provider-node": "./functions/aws/lambda-credentials.ts" },
};

interface CacheManifest {
  key: string;
  /** Project files (outside node_modules) esbuild read, with their SHA-256. */
  inputs: Record<string, string>;
  bundle: Omit<LambdaBundle, "zipPath" | "reused">;
}

const inProcess = new Map<string, LambdaBundle>();

/** Bundles `entry` (relative to the project root), reusing this process's or the on-disk result when unchanged. */
export function bundleLambda(entry: string): LambdaBundle {
  const known = inProcess.get(entry);
  if (known) return known;
  const hit = readCache(entry);
  if (hit) return remember(entry, hit, true);
  // The functions share most of their modules (the AWS SDK above all): bundling every sibling that is not
  // cached yet in the same esbuild run parses each shared module once (~40% less time than one by one).
  const pending = [entry];
  for (const sibling of siblingEntries(entry)) {
    if (inProcess.has(sibling)) continue;
    const siblingHit = readCache(sibling);
    if (siblingHit) remember(sibling, siblingHit, true);
    else pending.push(sibling);
  }
  for (const [built, bundle] of buildTogether(pending)) remember(built, bundle, false);
  return inProcess.get(entry)!;
}

type Built = { zip: Uint8Array; bundle: CacheManifest["bundle"] };

function remember(entry: string, { zip, bundle }: Built, reused: boolean): LambdaBundle {
  // The zip handed to synth sits at a path named by its hash, so its bytes always match source_code_hash.
  const outDir = join(tmpdir(), "edgeplane-bundles", Buffer.from(bundle.sha256Base64, "base64").toString("hex").slice(0, 32));
  const zipPath = join(outDir, `${bundleName(entry)}.zip`);
  if (!existsSync(zipPath)) {
    mkdirSync(outDir, { recursive: true });
    writeAtomically(zipPath, zip);
  }
  const result = { ...bundle, zipPath, reused };
  inProcess.set(entry, result);
  return result;
}

/** functions/<name>/index.ts entries other than `entry` (none when `entry` is not such an entry). */
function siblingEntries(entry: string): string[] {
  if (!/^functions\/[^/]+\/index\.ts$/.test(entry)) return [];
  return lambdaEntries().filter((e) => e !== entry);
}

function cacheDir(entry: string, key: string): string {
  return join(CACHE_DIR, `${bundleName(entry)}-${key.slice(0, 16)}`);
}

function readCache(entry: string): Built | undefined {
  if (process.env.EDGEPLANE_BUNDLE_CACHE === "off") return undefined;
  const key = cacheKey(entry);
  const dir = cacheDir(entry, key);
  const manifestPath = join(dir, "manifest.json");
  const zipPath = join(dir, "bundle.zip");
  if (!existsSync(manifestPath) || !existsSync(zipPath)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as CacheManifest;
    if (manifest.key !== key) return undefined;
    for (const [file, sha] of Object.entries(manifest.inputs)) {
      const path = join(PROJECT_ROOT, file);
      if (!existsSync(path) || sha256Hex(readFileSync(path)) !== sha) return undefined;
    }
    // The zip itself is checked too: a cache entry never decides a deployed hash on trust.
    const zip = readFileSync(zipPath);
    if (createHash("sha256").update(zip).digest("base64") !== manifest.bundle.sha256Base64) return undefined;
    return { zip, bundle: manifest.bundle };
  } catch {
    return undefined; // a damaged cache entry is rebuilt
  }
}

/** One esbuild run for several entries (each output is a complete bundle: no code splitting). Exported for tests. */
export function buildTogether(entries: string[]): Array<[string, Built]> {
  const result = buildSync({
    ...BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: entries,
    outdir: "bundled",
    write: false,
    metafile: true,
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild could not bundle ${entries.join(", ")}: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const code = new Map(result.outputFiles.map((file) => [relative(PROJECT_ROOT, file.path), file.contents]));
  return Object.entries(result.metafile.outputs).map(([output, meta]) => {
    const entry = meta.entryPoint!;
    const contents = code.get(output)!;
    const zip = zipSync({ "index.js": [contents, { mtime: FIXED_ZIP_TIME, level: 9, os: 3, attrs: FILE_ATTRIBUTES }] });
    const bundle = {
      sha256Base64: createHash("sha256").update(zip).digest("base64"),
      codeBytes: contents.byteLength,
      zipBytes: zip.byteLength,
    };
    const inputs: Record<string, string> = {};
    for (const file of Object.keys(meta.inputs)) {
      if (!file.split("/").includes("node_modules")) inputs[file] = sha256Hex(readFileSync(join(PROJECT_ROOT, file)));
    }
    const key = cacheKey(entry);
    const dir = cacheDir(entry, key);
    mkdirSync(dir, { recursive: true });
    writeAtomically(join(dir, "bundle.zip"), zip);
    writeAtomically(join(dir, "manifest.json"), JSON.stringify({ key, inputs, bundle } satisfies CacheManifest));
    return [entry, { zip, bundle }];
  });
}

export interface BundleMeasure {
  entry: string;
  /** Minified JavaScript, the bytes Lambda loads. */
  codeBytes: number;
  /** Bytes in the output per npm package ("(project)" for the repository's own files), largest first. */
  packages: Array<{ name: string; bytes: number }>;
  /** Every file in the bundle (paths relative to the project root, node_modules included). */
  files: string[];
  /** Project files and the import specifiers they use, e.g. "core/jobs/message.ts" -> ["zod", "../purge/objects"]. */
  projectImports: Record<string, string[]>;
  code: Uint8Array;
}

/** Bundles `entries` as synth does (no cache, nothing written) and says what each bundle is made of. */
export function measureBundles(entries: string[]): BundleMeasure[] {
  const result = buildSync({
    ...BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: entries,
    outdir: "bundled",
    write: false,
    metafile: true,
  });
  const code = new Map(result.outputFiles.map((file) => [relative(PROJECT_ROOT, file.path), file.contents]));
  return Object.entries(result.metafile.outputs).map(([output, meta]) => {
    const files = Object.keys(meta.inputs).sort();
    const projectImports = Object.fromEntries(
      files
        .filter((file) => !file.split("/").includes("node_modules"))
        .map((file) => [file, result.metafile.inputs[file]!.imports.map((i) => i.original ?? i.path)]),
    );
    return {
      entry: meta.entryPoint!,
      codeBytes: meta.bytes,
      packages: packageSizes(meta.inputs),
      files,
      projectImports,
      code: code.get(output)!,
    };
  });
}

/** Sums the bytes each input file contributes by the package it belongs to (the innermost node_modules entry). */
export function packageSizes(inputs: Metafile["outputs"][string]["inputs"]): Array<{ name: string; bytes: number }> {
  const sizes = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const name = match ? match[1]! : "(project)";
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  return [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** The functions/<name>/index.ts entries, sorted: every Lambda the stack deploys. */
export function lambdaEntries(): string[] {
  return readdirSync(join(PROJECT_ROOT, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(PROJECT_ROOT, "functions", d.name, "index.ts")))
    .map((d) => `functions/${d.name}/index.ts`)
    .sort();
}

function cacheKey(entry: string): string {
  const lock = join(PROJECT_ROOT, "package-lock.json");
  return sha256Hex(
    JSON.stringify({ entry, esbuildVersion, BUILD_OPTIONS, lock: existsSync(lock) ? sha256Hex(readFileSync(lock)) : "none" }),
  );
}

/** Two synths at once (tests run in parallel) must never see half a file. */
function writeAtomically(path: string, data: Uint8Array | string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Forgets this process's bundles (the on-disk cache stays); for tests. */
export function forgetBundlesInProcess(): void {
  inProcess.clear();
}

/** functions/purge-api/index.ts -> purge-api */
function bundleName(entry: string): string {
  return basename(dirname(entry));
}
