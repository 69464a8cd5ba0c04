/**
 * EdgeWorkers code bundles are gzip'd tar files (`.tgz`). This is a small ustar writer and reader on
 * node:zlib, enough for bundles: regular files and directories; pax ("x") and GNU long-name ("L")
 * headers are understood when reading; links, devices and anything else are refused.
 *
 * packTgz is deterministic: the same files in the same order give the same bytes (mtime, uid, gid
 * and owner names are fixed; node's gzip header has no time and OS "unix").
 */
import { gunzipSync, gzipSync } from "node:zlib";

export interface TarFile {
  /** Path inside the archive, e.g. "main.js" or "lib/util.js" (no leading "./" or "/"). */
  name: string;
  data: Buffer;
  /** Unix permission bits; default 0o644. EdgeWorkers refuses executable files. */
  mode?: number;
}

export class TgzFormatError extends Error {
  override name = "TgzFormatError";
}

const BLOCK = 512;
/** A fixed mtime (2020-01-01T00:00:00Z) so bundles do not change with the clock. */
export const FIXED_MTIME_SECONDS = 1_577_836_800;
/** Default cap on the unpacked tar size; EdgeWorkers allows 1 MB uncompressed per bundle. */
export const DEFAULT_MAX_UNPACKED_BYTES = 8 * 1024 * 1024;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new TgzFormatError(`tar header field too long (${bytes.length} > ${length} bytes)`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) throw new TgzFormatError(`value ${value} does not fit a ${length}-byte tar field`);
  header.write(`${text}\0`, offset, length, "ascii");
}

/** Splits a long name into ustar prefix (≤155 bytes) + name (≤100 bytes) at a "/". */
function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: "", base: name };
  for (let i = name.lastIndexOf("/"); i > 0; i = name.lastIndexOf("/", i - 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base !== "") return { prefix, base };
  }
  throw new TgzFormatError(`file name is too long for a ustar header: ${name.slice(0, 60)}…`);
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  return sum;
}

/** Checks an archive path: relative, no "." or ".." segments, no empty segments, no NUL. */
export function normalizeTarPath(raw: string): string {
  let name = raw;
  while (name.startsWith("./")) name = name.slice(2);
  if (name.endsWith("/")) name = name.slice(0, -1);
  const segments = name.split("/");
  if (name === "" || name.startsWith("/") || name.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new TgzFormatError(`unsafe or empty path in archive: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  return name;
}

function fileHeader(file: TarFile, name: string): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { prefix, base } = splitName(name);
  writeString(header, 0, 100, base);
  writeOctal(header, 100, 8, (file.mode ?? 0o644) & 0o7777);
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, file.data.length);
  writeOctal(header, 136, 12, FIXED_MTIME_SECONDS);
  header.write("0", 156, 1, "ascii"); // regular file
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  writeString(header, 265, 32, "root");
  writeString(header, 297, 32, "root");
  writeString(header, 345, 155, prefix);
  header.write(`${checksum(header).toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return header;
}

/** Packs files (in the given order) into a gzip'd ustar archive. Names must be unique. */
export function packTgz(files: readonly TarFile[]): Buffer {
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  for (const file of files) {
    const name = normalizeTarPath(file.name);
    if (seen.has(name)) throw new TgzFormatError(`duplicate file in archive: ${name}`);
    seen.add(name);
    parts.push(fileHeader(file, name), file.data);
    const padding = (BLOCK - (file.data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString("utf8");
}

function readNumber(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  if (((field[0] as number) & 0x80) !== 0) {
    // GNU base-256: big-endian binary after the marker bit.
    let value = (field[0] as number) & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (field[i] as number);
    if (!Number.isSafeInteger(value)) throw new TgzFormatError(`tar ${what} is too large`);
    return value;
  }
  const text = field.toString("ascii").replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TgzFormatError(`tar ${what} is not an octal number`);
  return parseInt(text, 8);
}

/** pax records: "<len> <key>=<value>\n" repeated. */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(data.subarray(offset, space).toString("ascii"));
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length)
      throw new TgzFormatError("malformed pax header");
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return records;
}

export interface UnpackOptions {
  /** Largest tar (after gunzip) accepted; default DEFAULT_MAX_UNPACKED_BYTES. */
  maxUnpackedBytes?: number;
}

/** Reads a .tgz: regular files in archive order (directories are skipped). Throws TgzFormatError. */
export function unpackTgz(tgz: Buffer, options: UnpackOptions = {}): TarFile[] {
  const maxBytes = options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  if (tgz.length < 2 || tgz[0] !== 0x1f || tgz[1] !== 0x8b) throw new TgzFormatError("not a gzip file");
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new TgzFormatError(`archive unpacks to more than ${maxBytes} bytes`);
    }
    throw new TgzFormatError("gzip data is corrupt");
  }

  const files: TarFile[] = [];
  const seen = new Set<string>();
  let pendingName: string | undefined;
  let pendingSize: number | undefined;
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return files; // end of archive
    const stored = readNumber(header, 148, 8, "checksum");
    if (stored !== checksum(header)) throw new TgzFormatError("tar header checksum mismatch");
    const type = String.fromCharCode(header[156] as number);
    const size = pendingSize ?? readNumber(header, 124, 12, "size");
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new TgzFormatError("tar entry runs past the end of the archive");
    const data = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === "x") {
      const pax = parsePax(data);
      if (pax.path !== undefined) pendingName = pax.path;
      if (pax.size !== undefined) pendingSize = Number(pax.size);
      continue;
    }
    if (type === "g") continue; // global pax header: nothing we use
    if (type === "L") {
      pendingName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }

    const magic = header.subarray(257, 262).toString("ascii");
    const prefix = magic === "ustar" ? readString(header, 345, 155) : "";
    const rawName = pendingName ?? (prefix ? `${prefix}/${readString(header, 0, 100)}` : readString(header, 0, 100));
    pendingName = undefined;
    pendingSize = undefined;
    if (type === "5") continue; // directory
    if (type !== "0" && type !== "\0" && type !== "7") {
      throw new TgzFormatError(
        `unsupported tar entry type "${type === "\0" ? "\\0" : type}" for ${JSON.stringify(rawName.slice(0, 80))}`,
      );
    }
    const name = normalizeTarPath(rawName);
    if (seen.has(name)) throw new TgzFormatError(`duplicate file in archive: ${name}`);
    seen.add(name);
    files.push({ name, data: Buffer.from(data), mode: readNumber(header, 100, 8, "mode") & 0o7777 });
  }
  if (offset === 0 && tar.length === 0) throw new TgzFormatError("empty archive");
  // A missing end-of-archive marker is tolerated (GNU tar does too).
  return files;
}
