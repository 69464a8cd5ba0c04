/**
 * Rebuilding an EdgeWorker code bundle with a new edgekv_tokens.js: the previous bundle's files, in
 * their order and with their modes, plus the tokens file (replaced in place, or added at the end), and
 * bundle.json's "edgeworker-version" changed to a new id. Nothing else changes.
 *
 * Version ids: `<root>-ekv.<hash8>`, where root is the previous version without an earlier "-ekv.…"
 * suffix and hash8 the first 8 hex digits of SHA-256 over the namespaces, token names and token uuids
 * the new file carries (never a token value). So the id is unique per EdgeWorker for each set of tokens
 * on each base version, and the same inputs give the same id: a run that stopped after the upload finds
 * its version again instead of uploading another. Ids are kept to 32 characters of [A-Za-z0-9._-]
 * (EdgeWorkers documents no limit for "edgeworker-version" [U]; this is a conservative one).
 */
import { createHash } from "node:crypto";
import { BUNDLE_MANIFEST, EdgeWorkersRequestError, readBundleVersion } from "../akamai/edgeworkers";
import { packTgz, type TarFile } from "../akamai/tgz";
import { TOKENS_FILE_NAME, mergeEntries, parseTokensFile, renderTokensFile, type TokensFileEntries } from "./tokens-file";

export const MAX_VERSION_ID_CHARS = 32;
const EKV_SUFFIX = /-ekv\.[0-9a-f]{8}$/;
const VERSION_CHARS = /[^A-Za-z0-9._-]/g;

/** What the version id is derived from: which token serves which namespace. */
export interface TokenIdentity {
  namespace: string;
  name: string;
  uuid: string;
}

export function tokenSetHash(identities: readonly TokenIdentity[]): string {
  const lines = identities.map((i) => `${i.namespace}=${i.name}:${i.uuid}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 8);
}

/** The new version id for a bundle based on `baseVersion` that carries these tokens. */
export function tokensVersionId(baseVersion: string, identities: readonly TokenIdentity[]): string {
  const suffix = `-ekv.${tokenSetHash(identities)}`;
  const root = baseVersion
    .replace(EKV_SUFFIX, "")
    .replace(VERSION_CHARS, "_")
    .slice(0, MAX_VERSION_ID_CHARS - suffix.length)
    .replace(/[-._]+$/, "");
  return `${root || "v"}${suffix}`;
}

/** The entries of the bundle's edgekv_tokens.js; {} when it has none. Throws TokensFileError when unreadable. */
export function bundleTokensEntries(files: readonly TarFile[]): TokensFileEntries {
  const file = files.find((f) => f.name === TOKENS_FILE_NAME);
  return file ? parseTokensFile(file.data.toString("utf8"), `${TOKENS_FILE_NAME} in the bundle`) : {};
}

export interface RebuiltBundle {
  files: TarFile[];
  tgz: Buffer;
  version: string;
}

/**
 * The previous bundle with `entries` written into edgekv_tokens.js (namespaces the file already has and
 * `entries` does not name are kept) and bundle.json's "edgeworker-version" set to `newVersion` (left as
 * it is when newVersion is undefined, e.g. a file written by hand into a bundle being prepared).
 * Throws EdgeWorkersRequestError (no or bad bundle.json) or TokensFileError (unreadable tokens file).
 */
export function rebuildBundle(previous: readonly TarFile[], entries: TokensFileEntries, newVersion?: string): RebuiltBundle {
  const oldVersion = readBundleVersion(previous);
  if (newVersion === oldVersion)
    throw new EdgeWorkersRequestError(`the new edgeworker-version must differ from the previous one (${oldVersion})`);
  const tokensText = renderTokensFile(mergeEntries(bundleTokensEntries(previous), entries));
  const files: TarFile[] = [];
  let replaced = false;
  for (const file of previous) {
    if (file.name === BUNDLE_MANIFEST && newVersion !== undefined) {
      const manifest = JSON.parse(file.data.toString("utf8")) as Record<string, unknown>;
      manifest["edgeworker-version"] = newVersion;
      files.push({ ...file, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8") });
    } else if (file.name === TOKENS_FILE_NAME) {
      files.push({ ...file, data: Buffer.from(tokensText, "utf8") });
      replaced = true;
    } else {
      files.push(file);
    }
  }
  if (!replaced) files.push({ name: TOKENS_FILE_NAME, data: Buffer.from(tokensText, "utf8"), mode: 0o644 });
  return { files, tgz: packTgz(files), version: newVersion ?? oldVersion };
}
