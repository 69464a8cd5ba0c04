/**
 * `edgeplane tokens write-file`: writes tokens into an edgekv_tokens.js file, or into the edgekv_tokens.js
 * of a code bundle (.tgz), like `akamai edgekv show token NAME --save_path PATH`. Entries for other
 * namespaces already in the file are kept; an entry that would change needs --overwrite.
 *
 * Files are written with mode 0600 (legacy entries hold token values, which are secrets) through a
 * temporary file and a rename, so a failed write never leaves half a file.
 */
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readBundleVersion } from "../../core/akamai/edgeworkers";
import { unpackTgz } from "../../core/akamai/tgz";
import { bundleTokensEntries, rebuildBundle, tokensVersionId, type TokenIdentity } from "../../core/tokens/bundle";
import {
  TOKENS_FILE_NAME,
  entryKind,
  mergeEntries,
  parseTokensFile,
  renderTokensFile,
  sameEntry,
  type TokensFileEntries,
} from "../../core/tokens/tokens-file";
import { CommandError } from "../io";

export interface WriteTarget {
  kind: "file" | "bundle";
  path: string;
}

/** PATH ending in .tgz → that bundle (it must exist); an existing directory → DIR/edgekv_tokens.js; else the file. */
export function writeTarget(path: string): WriteTarget {
  if (/\.tgz$/i.test(path)) {
    if (!existsSync(path))
      throw new CommandError(`bundle ${path} does not exist; write-file updates the edgekv_tokens.js of an existing .tgz`);
    return { kind: "bundle", path };
  }
  if (existsSync(path) && statSync(path).isDirectory()) return { kind: "file", path: join(path, TOKENS_FILE_NAME) };
  if (!existsSync(dirname(path))) throw new CommandError(`directory ${dirname(path)} does not exist`);
  return { kind: "file", path };
}

export interface WriteResult {
  path: string;
  entries: Array<{ namespace: string; name: string; kind: "legacy" | "enhanced" }>;
  /** Namespaces already in the file and kept as they were. */
  kept: string[];
  /** For bundles: bundle.json's "edgeworker-version" after the write. */
  bundleVersion?: string;
}

function writeAtomically(path: string, data: Buffer | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    if (existsSync(temporary)) unlinkSync(temporary);
    throw new CommandError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Namespaces whose existing entry differs from the new one (names only: values are secrets). */
function conflicts(existing: TokensFileEntries, update: TokensFileEntries): string[] {
  return Object.entries(update)
    .filter(([namespace, entry]) => existing[namespace] !== undefined && !sameEntry(existing[namespace], entry))
    .map(([namespace, entry]) => `namespace-${namespace} (now ${existing[namespace]?.name}, would be ${entry.name})`);
}

export function writeTokens(
  target: WriteTarget,
  update: TokensFileEntries,
  options: { overwrite: boolean; bumpVersion: boolean; identities: readonly TokenIdentity[] },
): WriteResult {
  let existing: TokensFileEntries = {};
  let files: ReturnType<typeof unpackTgz> | undefined;
  if (target.kind === "bundle") {
    try {
      files = unpackTgz(readFileSync(target.path));
      existing = bundleTokensEntries(files);
    } catch (error) {
      throw new CommandError(`cannot read bundle ${target.path}: ${(error as Error).message}`);
    }
  } else if (existsSync(target.path)) {
    existing = parseTokensFile(readFileSync(target.path, "utf8"), target.path);
  }
  const changing = conflicts(existing, update);
  if (changing.length > 0 && !options.overwrite) {
    throw new CommandError(`${target.path} already has other tokens for ${changing.join(", ")}; add --overwrite to replace them`);
  }
  const result: WriteResult = {
    path: target.path,
    entries: Object.keys(update)
      .sort()
      .map((namespace) => ({
        namespace,
        name: (update[namespace] as TokensFileEntries[string]).name,
        kind: entryKind(update[namespace] as TokensFileEntries[string]),
      })),
    kept: Object.keys(existing)
      .filter((ns) => update[ns] === undefined)
      .sort(),
  };
  if (target.kind === "bundle" && files !== undefined) {
    const version = options.bumpVersion ? tokensVersionId(readBundleVersion(files), options.identities) : undefined;
    const rebuilt = rebuildBundle(files, update, version);
    writeAtomically(target.path, rebuilt.tgz);
    result.bundleVersion = rebuilt.version;
  } else {
    writeAtomically(target.path, renderTokensFile(mergeEntries(existing, update)));
  }
  return result;
}

/**
 * The namespaces a legacy token's JWT grants (claims "namespace-<ns>", as Akamai's CLI reads them);
 * undefined when the value is not a readable JWT. The value itself never leaves this function.
 */
export function legacyTokenNamespaces(value: string): string[] | undefined {
  const payload = value.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const namespaces = Object.keys(claims)
      .filter((key) => key.startsWith("namespace-"))
      .map((key) => key.slice("namespace-".length))
      .sort();
    return namespaces.length > 0 ? namespaces : undefined;
  } catch {
    return undefined;
  }
}
