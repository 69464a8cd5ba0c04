import fc from "fast-check";
import {
  PurgeInputError,
  checkCpCode,
  checkTag,
  checkUrl,
  isHostnameAllowed,
  parseAllowedHostnames,
  parsePurgeAction,
  parsePurgeNetwork,
  parsePurgeType,
  validateObjects,
} from "../../../core/purge/objects";

const ALLOWED = ["www.example.com", "static.example.com", "*.assets.example.com"];
const allowed = parseAllowedHostnames(ALLOWED);

function rejectReason(result: { ok: boolean; reason?: string }): string {
  if (result.ok) throw new Error("expected a rejection");
  return result.reason ?? "";
}

describe("type, action and network", () => {
  it("accepts the documented values", () => {
    expect(parsePurgeType("url")).toBe("url");
    expect(parsePurgeType("cpcode")).toBe("cpcode");
    expect(parsePurgeType("tag")).toBe("tag");
    expect(parsePurgeAction("invalidate")).toBe("invalidate");
    expect(parsePurgeAction("delete")).toBe("delete");
    expect(parsePurgeNetwork("staging")).toBe("staging");
    expect(parsePurgeNetwork("production")).toBe("production");
  });

  it("names the field and the allowed values when rejecting", () => {
    expect(() => parsePurgeType("URL")).toThrow('type must be one of url, cpcode, tag; got "URL"');
    expect(() => parsePurgeAction("remove")).toThrow('action must be one of invalidate, delete; got "remove"');
    expect(() => parsePurgeNetwork(undefined)).toThrow("network must be one of staging, production; got undefined");
    try {
      parsePurgeNetwork("prod");
    } catch (error) {
      expect(error).toBeInstanceOf(PurgeInputError);
      expect((error as PurgeInputError).field).toBe("network");
    }
  });
});

describe("allowed hostnames", () => {
  it("matches exact names, and wildcard entries match subdomains at any depth but not the apex", () => {
    expect(isHostnameAllowed("www.example.com", allowed)).toBe(true);
    expect(isHostnameAllowed("img.assets.example.com", allowed)).toBe(true);
    expect(isHostnameAllowed("a.b.assets.example.com", allowed)).toBe(true);
    expect(isHostnameAllowed("assets.example.com", allowed)).toBe(false);
    expect(isHostnameAllowed("xassets.example.com", allowed)).toBe(false);
    expect(isHostnameAllowed("example.com", allowed)).toBe(false);
    expect(isHostnameAllowed("www.example.com.evil.net", allowed)).toBe(false);
  });

  it.each([
    "Example.com",
    "*.com",
    "*example.com",
    "*.*.example.com",
    "a..b.com",
    "http://www.example.com",
    "www.example.com.",
    "",
    " www.example.com",
  ])("rejects the entry %j with the expected forms", (entry) => {
    expect(() => parseAllowedHostnames(["www.example.com", entry])).toThrow(
      /allowedHostnames\[1\] is .*; expected a lower-case hostname like www\.example\.com or a wildcard like \*\.example\.com/,
    );
  });

  it("rejects entries that are not strings", () => {
    expect(() => parseAllowedHostnames([42 as unknown as string])).toThrow(
      "allowedHostnames[0] must be a hostname string; got number 42",
    );
  });
});

describe("checkUrl", () => {
  it.each([
    ["https://www.example.com/a/b?c=D&e", "https://www.example.com/a/b?c=D&e"],
    ["http://static.example.com/", "http://static.example.com/"],
    ["https://www.example.com", "https://www.example.com"],
    ["https://www.example.com?q=1", "https://www.example.com?q=1"],
    ["https://www.example.com:8443/x", "https://www.example.com:8443/x"],
    ["https://img.assets.example.com/p%20q.png", "https://img.assets.example.com/p%20q.png"],
  ])("accepts %s unchanged", (input, expected) => {
    expect(checkUrl(input, allowed)).toEqual({ ok: true, value: expected });
  });

  it("lower-cases the scheme and the host only (documented normalisation)", () => {
    expect(checkUrl("HTTPS://WWW.Example.COM/Path/To?Q=A", allowed)).toEqual({
      ok: true,
      value: "https://www.example.com/Path/To?Q=A",
    });
  });

  it.each([
    ["ftp://www.example.com/x", "must be absolute and start with http:// or https://"],
    ["/relative/path", "must be absolute"],
    ["//www.example.com/x", "must be absolute"],
    ["https:/www.example.com/x", "must be absolute"],
    ["www.example.com/x", "must be absolute"],
    ["", "URL is empty"],
    [" https://www.example.com/x", "a space (U+0020) at position 0"],
    ["https://www.example.com/a b", "a space (U+0020) at position 25"],
    ["https://www.example.com/a\tb", "a control character (U+0009)"],
    ["https://www.example.com/a\nb", "a control character (U+000A)"],
    ["https://www.example.com/a\u007fb", "a control character (U+007F)"],
    [
      "https://www.example.com/café",
      'non-ASCII character "é" at position 27; Akamai rejects non-ASCII URLs (TD-purge 400): percent-encode it as UTF-8 (%C3%A9)',
    ],
    ["https://www.example.com/\u{1F600}", "percent-encode it as UTF-8 (%F0%9F%98%80)"],
    ["https://www.example.com/\ud800x", "unpaired UTF-16 surrogate"],
    ["https://www.example.com/a#top", "fragment"],
    ["https://user:pw@www.example.com/a", "user information"],
    ["https://www.example.com\\evil.net/a", "backslash"],
    ["https://www.exa_mple.com/a", "is not a valid hostname"],
    ["https://www.example.com./a", "is not a valid hostname"],
    ["https://[::1]/a", "is not a valid hostname"],
    ["https://www.example.com:0/a", 'URL port "0" is not valid; expected a number from 1 to 65535'],
    ["https://www.example.com:65536/a", "port"],
    ["https://www.example.com:/a", "port"],
    [
      "https://evil.net/a",
      'host "evil.net" is not allowed in this environment; allowed: www.example.com, static.example.com, *.assets.example.com',
    ],
    ["https://assets.example.com/a", "is not allowed"],
    ["https://www.example.com.evil.net/a", "is not allowed"],
  ])("rejects %j", (input, reason) => {
    expect(rejectReason(checkUrl(input, allowed))).toContain(reason);
  });

  it("rejects non-strings, naming what it got", () => {
    expect(rejectReason(checkUrl(42, allowed))).toBe("expected a URL string; got number 42");
    expect(rejectReason(checkUrl(null, allowed))).toBe("expected a URL string; got null");
  });

  it("says when no hostnames are configured", () => {
    expect(rejectReason(checkUrl("https://www.example.com/", parseAllowedHostnames([])))).toContain("allowed: (none configured)");
  });
});

describe("checkCpCode", () => {
  it.each([
    [12345, 12345],
    ["12345", 12345],
    [1, 1],
    ["1", 1],
    [1e3, 1000],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("accepts %j as %j", (input, expected) => {
    expect(checkCpCode(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["12.5", "digits only"],
    ["0", "positive integer (1 or more)"],
    ["-1", "digits only"],
    ["1e3", "digits only"],
    [" 12", "digits only"],
    ["12 ", "digits only"],
    ["", "digits only"],
    ["0x10", "digits only"],
    ["012", "leading zeros"],
    ["9007199254740993", "too large"],
    [0, "positive integer (1 or more); got number 0"],
    [-1, "got number -1"],
    [12.5, "got number 12.5"],
    [Number.NaN, "got number NaN"],
    [Number.POSITIVE_INFINITY, "got number Infinity"],
    [2 ** 53, "too large"],
    [null, "expected a CP code as a number or a string of digits; got null"],
    [true, "got boolean true"],
    [[1], "got an array"],
  ])("rejects %j", (input, reason) => {
    expect(rejectReason(checkCpCode(input))).toContain(reason);
  });
});

describe("checkTag", () => {
  const allAllowed = "AZaz09!#$%'+./^_`|~-";

  it.each(["black-friday", "Laptops", allAllowed, "x".repeat(128), "a"])("accepts %j unchanged", (tag) => {
    expect(checkTag(tag)).toEqual({ ok: true, value: tag });
  });

  it.each([
    ["", "empty; expected 1 to 128 characters"],
    ["x".repeat(129), "129 characters long; the limit is 128"],
    ["a b", "contains U+0020 at position 1; allowed: letters, digits and !#$%'+./^_`|~-"],
    ["a,b", 'contains "," at position 1'],
    ['a"b', "contains"],
    ["a\\b", "contains"],
    ["a&b", "contains"],
    ["caf\u00e9", 'contains "é" at position 3'],
    ["\u{1F600}", "contains"],
  ])("rejects %j", (tag, reason) => {
    expect(rejectReason(checkTag(tag))).toContain(reason);
  });

  it("rejects non-strings", () => {
    expect(rejectReason(checkTag(5))).toBe("expected a cache tag string; got number 5");
  });
});

describe("validateObjects", () => {
  it("splits a list, keeps input order, and merges exact duplicates after validation", () => {
    const result = validateObjects({ type: "cpcode", objects: ["12345", 12345, "0", 678, 12345, "abc"] });
    expect(result.accepted).toEqual([12345, 678]);
    expect(result.duplicates).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.object])).toEqual([
      [2, "0"],
      [5, "abc"],
    ]);
  });

  it("treats URLs differing only in host case as duplicates, and path case as distinct", () => {
    const result = validateObjects({
      type: "url",
      allowedHostnames: ALLOWED,
      objects: ["https://www.example.com/A", "https://WWW.EXAMPLE.COM/A", "https://www.example.com/a"],
    });
    expect(result).toEqual({
      accepted: ["https://www.example.com/A", "https://www.example.com/a"],
      acceptedIndexes: [0, 2],
      rejected: [],
      duplicates: 1,
    });
  });

  it("keeps tags case-sensitive", () => {
    expect(validateObjects({ type: "tag", objects: ["Sale", "sale", "Sale"] })).toEqual({
      accepted: ["Sale", "sale"],
      acceptedIndexes: [0, 1],
      rejected: [],
      duplicates: 1,
    });
  });

  it("requires allowed hostnames for URLs and an array of objects", () => {
    expect(() => validateObjects({ type: "url", objects: [] })).toThrow("allowedHostnames is required to validate url objects");
    expect(() => validateObjects({ type: "tag", objects: "a" as unknown as string[] })).toThrow(
      'objects must be an array; got "a"',
    );
    expect(() => validateObjects({ type: "arl" as "url", objects: [] })).toThrow("type must be one of url, cpcode, tag");
  });

  const anyObject = fc.oneof(
    fc.integer({ min: -5, max: 50 }),
    fc.constantFrom("1", "01", "7", "12.5", "-3", "tag", "Tag", "a b"),
    fc.constantFrom(
      "https://www.example.com/a",
      "HTTPS://WWW.EXAMPLE.COM/a",
      "https://evil.net/",
      "https://x.assets.example.com/é",
    ),
    fc.string({ maxLength: 6 }),
    fc.constant(null),
  );

  it("accounts for every input: accepted + rejected + duplicates, with accepted unique (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("url", "cpcode", "tag") as fc.Arbitrary<"url" | "cpcode" | "tag">,
        fc.array(anyObject, { maxLength: 60 }),
        (type, objects) => {
          const result = validateObjects({ type, objects, allowedHostnames: ALLOWED });
          expect(result.accepted.length + result.rejected.length + result.duplicates).toBe(objects.length);
          expect(new Set(result.accepted).size).toBe(result.accepted.length);
          expect(result.rejected.every((r) => objects[r.index] === r.object && r.reason.length > 0)).toBe(true);
          // Each accepted object's input position, in increasing order.
          expect(result.acceptedIndexes).toHaveLength(result.accepted.length);
          expect(result.acceptedIndexes.every((i, k) => k === 0 || i > (result.acceptedIndexes[k - 1] as number))).toBe(true);
          // Validation is idempotent: what it accepted passes again unchanged.
          expect(validateObjects({ type, objects: result.accepted, allowedHostnames: ALLOWED })).toEqual({
            accepted: result.accepted,
            acceptedIndexes: result.accepted.map((_, i) => i),
            rejected: [],
            duplicates: 0,
          });
        },
      ),
    );
  });
});

describe('validateObjects with allowedHostnames "any" (direct purges without an allow-list)', () => {
  it("accepts any http(s) host and still checks everything else", () => {
    const result = validateObjects({
      type: "url",
      allowedHostnames: "any",
      objects: ["https://a.example.com/x", "http://B.Example.org/y", "ftp://c.example.com/z", "/relative"],
    });
    expect(result.accepted).toEqual(["https://a.example.com/x", "http://b.example.org/y"]);
    expect(result.rejected.map((r) => r.index)).toEqual([2, 3]);
  });
});
