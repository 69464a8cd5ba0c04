import { compareNewestFirst, datedTokenName, freeTokenNames, parseTokenName } from "../../../core/tokens/names";
import { prefixTokens, tokenState } from "../../../core/tokens/select";

const JUNE_1 = Date.UTC(2025, 5, 1, 12);

describe("token names", () => {
  it("are <prefix>-<YYYYMMDD>[-n] and parse back only for their own prefix", () => {
    expect(datedTokenName("site-ro", JUNE_1)).toBe("site-ro-20250601");
    expect(datedTokenName("site-ro", JUNE_1, 3)).toBe("site-ro-20250601-3");
    expect(parseTokenName("site-ro", "site-ro-20250601-3")).toEqual({ date: "20250601", n: 3 });
    expect(parseTokenName("site-ro", "site-ro-20250601")).toEqual({ date: "20250601", n: 1 });
    expect(parseTokenName("site", "site-ro-20250601")).toBeUndefined();
    expect(parseTokenName("site-ro", "site-ro-20250601-1")).toBeUndefined();
    expect(parseTokenName("site-ro", "site-ro-2025060")).toBeUndefined();
    expect(parseTokenName("a.b", "aXb-20250601")).toBeUndefined(); // the prefix is literal
  });

  it("stay within 32 characters for the longest prefix the config allows", () => {
    const prefix = "p".repeat(20);
    expect(datedTokenName(prefix, JUNE_1, 99)).toHaveLength(32);
    expect(() => datedTokenName("bad prefix", JUNE_1)).toThrow(/invalid name/);
  });

  it("skip taken names and sort newest first", () => {
    const taken = new Set(["x-20250601", "x-20250601-2"]);
    expect(freeTokenNames("x", JUNE_1, taken).next().value).toBe("x-20250601-3");
    const names = ["x-20250601", "x-20250531-9", "x-20250601-10", "x-20250601-2"].map((name) => ({ name }));
    expect(names.sort(compareNewestFirst("x")).map((t) => t.name)).toEqual([
      "x-20250601-10",
      "x-20250601-2",
      "x-20250601",
      "x-20250531-9",
    ]);
  });
});

describe("prefixTokens", () => {
  it("finds the current token, pending newer ones, superseded, failed and expired ones", () => {
    const listed = [
      { name: "x-20250601", uuid: "1", expiry: "9999-12-31", tokenActivationStatus: "IN_PROGRESS" },
      { name: "x-20250520", uuid: "2", expiry: "9999-12-31", tokenActivationStatus: "COMPLETE" },
      { name: "x-20250510", uuid: "3", expiry: "2025-08-01" },
      { name: "x-20250505", uuid: "4", expiry: "9999-12-31", tokenActivationStatus: "ERROR" },
      { name: "x-20250101", uuid: "5", expiry: "2025-05-31" },
      { name: "other-20250601", uuid: "6", expiry: "9999-12-31" },
    ];
    const mine = prefixTokens("x", listed, JUNE_1);
    expect(mine.current?.name).toBe("x-20250520");
    expect(mine.pendingNewer.map((t) => t.name)).toEqual(["x-20250601"]);
    expect(mine.superseded.map((t) => t.name)).toEqual(["x-20250510"]);
    expect(mine.failed.map((t) => t.name)).toEqual(["x-20250505"]);
    expect(mine.expired.map((t) => t.name)).toEqual(["x-20250101"]);
  });

  it("counts a legacy token as usable through the end of its expiry day (UTC)", () => {
    expect(tokenState({ expiry: "2025-06-01" }, Date.UTC(2025, 5, 1, 23, 59))).toBe("usable");
    expect(tokenState({ expiry: "2025-06-01" }, Date.UTC(2025, 5, 2))).toBe("expired");
  });
});
