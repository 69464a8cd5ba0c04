import { edgeKvTokensFileProblems } from "../../../sandbox/edgeworkers";
import {
  TokensFileError,
  entriesFor,
  entriesInclude,
  mergeEntries,
  parseTokensFile,
  renderTokensFile,
  tokenEntry,
} from "../../../core/tokens/tokens-file";

const JWT = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

describe("edgekv_tokens.js", () => {
  it("is written in the documented format: namespace-<ns> keys, name+value for legacy, name+reference for enhanced", () => {
    const text = renderTokensFile({
      ...entriesFor(
        ["site_config", "redirects"],
        tokenEntry({
          name: "site-ro-20250601",
          uuid: "5c5d6a1e-0000-4000-8000-000000000001",
          expiry: "9999-12-31",
          tokenActivationStatus: "COMPLETE",
        }),
      ),
      ...entriesFor(["legacy_ns"], tokenEntry({ name: "old-20250101", uuid: "u-1", expiry: "2025-07-01", value: JWT })),
    });
    expect(text).toBe(
      [
        "var edgekv_access_tokens = {",
        '  "namespace-legacy_ns": {',
        '    "name": "old-20250101",',
        `    "value": "${JWT}"`,
        "  },",
        '  "namespace-redirects": {',
        '    "name": "site-ro-20250601",',
        '    "reference": "5c5d6a1e-0000-4000-8000-000000000001"',
        "  },",
        '  "namespace-site_config": {',
        '    "name": "site-ro-20250601",',
        '    "reference": "5c5d6a1e-0000-4000-8000-000000000001"',
        "  }",
        "};",
        "export { edgekv_access_tokens };",
        "",
      ].join("\n"),
    );
    // The sandbox reads it the way EdgeWorkers validation does.
    const problems = edgeKvTokensFileProblems([{ name: "edgekv_tokens.js", data: Buffer.from(text) }], () => undefined);
    expect(problems).toEqual([]);
    // And the JS is what edgekv.js imports: a module exporting edgekv_access_tokens.
    const module = new Function(
      `${text.replace("export { edgekv_access_tokens };", "")}; return edgekv_access_tokens;`,
    )() as Record<string, unknown>;
    expect(Object.keys(module)).toEqual(["namespace-legacy_ns", "namespace-redirects", "namespace-site_config"]);
  });

  it("is deterministic: the same entries in any order give the same bytes", () => {
    const a = renderTokensFile({ b: { name: "t", reference: "u" }, a: { name: "t", reference: "u" } });
    const b = renderTokensFile({ a: { name: "t", reference: "u" }, b: { name: "t", reference: "u" } });
    expect(a).toBe(b);
  });

  it("parses its own output, Akamai CLI's layout and hand-written files, and names what is wrong", () => {
    const ours = renderTokensFile({ ns1: { name: "t1", value: JWT } });
    expect(parseTokensFile(ours)).toEqual({ ns1: { name: "t1", value: JWT } });
    const cliLayout = `var edgekv_access_tokens = {\n"namespace-ns1" : { \n"name": "t1",\n"value" : "${JWT}"\n}\n}\nexport { edgekv_access_tokens };`;
    expect(parseTokensFile(cliLayout)).toEqual({ ns1: { name: "t1", value: JWT } });
    expect(() => parseTokensFile("export default {}")).toThrow(TokensFileError);
    expect(() =>
      parseTokensFile('var edgekv_access_tokens = { "namespace-a": {name: "x"} }; export { edgekv_access_tokens };'),
    ).toThrow(/not JSON/);
    expect(() =>
      parseTokensFile('var edgekv_access_tokens = { "ns-a": {"name": "x", "reference": "y"} }; export { edgekv_access_tokens };'),
    ).toThrow(/namespace-<namespace>/);
    // A bad entry is named by its key, never by its value.
    try {
      parseTokensFile(
        `var edgekv_access_tokens = { "namespace-a": {"name": "x", "value": "${JWT}", "reference": "y"} }; export { edgekv_access_tokens };`,
      );
      throw new Error("expected a TokensFileError");
    } catch (error) {
      expect((error as Error).message).toContain("namespace-a");
      expect((error as Error).message).not.toContain(JWT);
    }
  });

  it("merges: new entries replace their namespaces, others stay", () => {
    const merged = mergeEntries(
      { a: { name: "old", value: JWT }, keep: { name: "other", reference: "r" } },
      { a: { name: "new", reference: "u" } },
    );
    expect(merged).toEqual({ a: { name: "new", reference: "u" }, keep: { name: "other", reference: "r" } });
    expect(entriesInclude(merged, { a: { name: "new", reference: "u" } })).toBe(true);
    expect(entriesInclude(merged, { a: { name: "old", value: JWT } })).toBe(false);
  });

  it("refuses a legacy token without its value (it must be read with get token first)", () => {
    expect(() => tokenEntry({ name: "old", uuid: "u", expiry: "2025-07-01" })).toThrow(/has no value/);
  });
});
