import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { TgzFormatError, packTgz, unpackTgz } from "../../../core/akamai/tgz";

/** One raw ustar header, for archives packTgz would never write. */
function header(name: string, size: number, type: string, mode = 0o644): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write(`${mode.toString(8).padStart(7, "0")}\0`, 100, "ascii");
  block.write("0000000\0", 108, "ascii");
  block.write("0000000\0", 116, "ascii");
  block.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "ascii");
  block.write("00000000000\0", 136, "ascii");
  block.write(type, 156, 1, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

function entry(name: string, data: Buffer | string, type = "0", mode?: number): Buffer {
  const bytes = Buffer.from(data);
  const padding = Buffer.alloc((512 - (bytes.length % 512)) % 512);
  return Buffer.concat([header(name, bytes.length, type, mode), bytes, padding]);
}

const tgz = (...entries: Buffer[]): Buffer => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));

describe("tgz", () => {
  it("round-trips files, in order, with their modes", () => {
    const files = [
      { name: "bundle.json", data: Buffer.from('{"edgeworker-version":"1.0"}') },
      { name: "main.js", data: Buffer.from("export function onClientRequest() {}\n") },
      { name: "lib/deep/util.js", data: Buffer.alloc(1500, 7), mode: 0o600 },
      { name: "empty.txt", data: Buffer.alloc(0) },
    ];
    expect(unpackTgz(packTgz(files))).toEqual(files.map((f) => ({ ...f, mode: f.mode ?? 0o644 })));
  });

  it("is deterministic and writes ustar headers other tools read", () => {
    const files = [{ name: "main.js", data: Buffer.from("x") }];
    expect(packTgz(files).equals(packTgz(files))).toBe(true);
    const tar = gunzipSync(packTgz(files));
    expect(tar.subarray(257, 263).toString("ascii")).toBe("ustar\0");
    expect(tar.length).toBe(512 * 4); // header, data block, two end blocks
  });

  it("round-trips any set of files (property)", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/).filter((s) => s !== "." && s !== "..");
    const file = fc.record({
      name: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
      data: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 6 }), (files) => {
        const back = unpackTgz(packTgz(files));
        expect(back.map((f) => [f.name, f.data.toString("hex")])).toEqual(files.map((f) => [f.name, f.data.toString("hex")]));
      }),
      { numRuns: 50 },
    );
  });

  it("splits long names into the ustar prefix", () => {
    const name = `${"d".repeat(90)}/${"e".repeat(60)}/file.js`;
    expect(unpackTgz(packTgz([{ name, data: Buffer.from("y") }]))[0]?.name).toBe(name);
  });

  it("reads pax and GNU long-name headers, skips directories and strips ./", () => {
    const long = `${"a".repeat(120)}/main.js`;
    const record = ` path=${long}\n`;
    const pax = `${record.length + String(record.length + 3).length}${record}`;
    const archive = tgz(
      entry("./", "", "5"),
      entry("PaxHeader/main.js", pax, "x"),
      entry("main.js", "pax"),
      entry("././@LongLink", `${"b".repeat(110)}.js\0`, "L"),
      entry("bbbb", "gnu"),
      entry("./bundle.json", "{}"),
    );
    expect(unpackTgz(archive).map((f) => [f.name, f.data.toString()])).toEqual([
      [long, "pax"],
      [`${"b".repeat(110)}.js`, "gnu"],
      ["bundle.json", "{}"],
    ]);
  });

  it("refuses unsafe paths, links, bad checksums, non-gzip data and archives that unpack too large", () => {
    expect(() => unpackTgz(tgz(entry("../etc/passwd", "x")))).toThrow(/unsafe or empty path/);
    expect(() => unpackTgz(tgz(entry("/abs.js", "x")))).toThrow(/unsafe or empty path/);
    expect(() => unpackTgz(tgz(entry("link", "", "2")))).toThrow(/unsupported tar entry type "2"/);
    expect(() => unpackTgz(tgz(entry("a.js", "x"), entry("a.js", "y")))).toThrow(/duplicate file/);
    const corrupt = Buffer.concat([entry("a.js", "x"), Buffer.alloc(1024)]);
    corrupt[0] = "b".charCodeAt(0);
    expect(() => unpackTgz(gzipSync(corrupt))).toThrow(/checksum mismatch/);
    expect(() => unpackTgz(Buffer.from("PK\u0003\u0004zip"))).toThrow(TgzFormatError);
    expect(() => unpackTgz(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip data is corrupt/);
    expect(() => unpackTgz(packTgz([{ name: "big", data: Buffer.alloc(100_000) }]), { maxUnpackedBytes: 50_000 })).toThrow(
      /more than 50000 bytes/,
    );
    expect(() => packTgz([{ name: "x/../y", data: Buffer.alloc(1) }])).toThrow(/unsafe/);
  });
});
