import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EdgeGridCredentialsError,
  edgeGridEnvNames,
  parseEdgeGridCredentials,
  parseEdgerc,
  parseEdgercValue,
  readEdgerc,
  readEnvCredentials,
} from "../../../core/edgegrid/credentials";
import { fixturePath, readFixture } from "./fixtures";

const SECRET = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=";

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("node/test_edgerc (akamai-edgegrid's parser fixture)", () => {
  const text = readFixture("node/test_edgerc").toString("utf8");

  it("reads [default]: double-quoted secret, max-body with a dash", () => {
    expect(parseEdgerc(text, "default")).toEqual({
      host: "example.luna.akamaiapis.net",
      clientToken: "clientToken",
      clientSecret: "clientSecret",
      accessToken: "accessToken",
      maxBody: 131072,
    });
  });

  it("reads max_body with an underscore", () => {
    expect(parseEdgerc(text, "custom:max_body").maxBody).toBe(8192);
  });

  it("leaves maxBody unset when the section has none", () => {
    expect(parseEdgerc(text, "no-max-body").maxBody).toBeUndefined();
  });

  it("refuses a max_body that is not a number, naming the field", () => {
    const error = errorOf(() => parseEdgerc(text, "custom:max_body_NAN"));
    expect(error).toBeInstanceOf(EdgeGridCredentialsError);
    expect(error.message).toContain("max_body");
    expect(error.message).toContain("[custom:max_body_NAN]");
  });

  it("keeps a scheme in host as written", () => {
    expect(parseEdgerc(text, "https").host).toBe("https://example.luna.akamaiapis.net");
  });

  it("handles ; comments after sections and values, and ; inside quotes", () => {
    expect(parseEdgerc(text, "comment-test")).toEqual({
      host: "sectionexample.luna.akamaiapis.net",
      clientToken: "client token",
      clientSecret: "client;secret",
      accessToken: "access; token",
      maxBody: 131072,
    });
  });

  it("lists the sections found when the wanted one is missing", () => {
    const error = errorOf(() => parseEdgerc(text, "nope"));
    expect(error.message).toMatch(/no section \[nope\]/);
    expect(error.message).toContain("[default], [section]");
  });
});

describe("python/sample_edgerc", () => {
  const text = readFixture("python/sample_edgerc").toString("utf8");

  it("reads [default] with its trailing-slash host", () => {
    expect(parseEdgerc(text)).toEqual({
      host: "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx.luna.akamaiapis.net/",
      clientToken: "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx",
      clientSecret: SECRET,
      accessToken: "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx",
      maxBody: 131072,
    });
  });

  it("treats dashed keys like underscored ones", () => {
    expect(parseEdgerc(text, "dashes")).toEqual(parseEdgerc(text, "default"));
  });

  it("strips the quotes of [broken]'s host", () => {
    expect(parseEdgerc(text, "broken").host).toBe("https://xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx.luna.akamaiapis.net/");
  });

  it("ignores keys it does not use (headers_to_sign)", () => {
    expect(parseEdgerc(text, "headers").clientSecret).toBe(SECRET);
  });
});

describe("parseEdgercValue", () => {
  it.each([
    ["plain", "plain"],
    ["  spaced value  ", "spaced value"],
    ["abc+/def= ; comment", "abc+/def="],
    ["abc # comment", "abc"],
    ["abc;not-a-comment", "abc;not-a-comment"],
    ['"quoted ; value" ; comment', "quoted ; value"],
    [`'The "most" \\'interesting\\' ; value in the \\";world\\"' ; comment`, `The "most" 'interesting' ; value in the ";world"`],
    ['""', ""],
  ])("%s", (raw, expected) => {
    expect(parseEdgercValue(raw)).toBe(expected);
  });

  it("rejects an unclosed quote or text after the closing quote", () => {
    expect(parseEdgercValue('"open')).toBeUndefined();
    expect(parseEdgercValue('"a" b')).toBeUndefined();
  });
});

describe("errors never print values", () => {
  it("names missing fields only", () => {
    const text = `[default]\nhost = a.luna.akamaiapis.net\nclient_secret = ${SECRET}\n`;
    const error = errorOf(() => parseEdgerc(text));
    expect(error.message).toContain("client_token, access_token");
    expect(error.message).not.toContain(SECRET);
  });

  it("treats an empty value as missing", () => {
    const text = `[default]\nhost = a.luna.akamaiapis.net\nclient_token = ct\nclient_secret = ""\naccess_token = at\n`;
    expect(errorOf(() => parseEdgerc(text)).message).toMatch(/missing or has empty: client_secret$/);
  });

  it("does not echo a broken line", () => {
    const text = `[default]\n${SECRET.replace("=", "")}\n`;
    const error = errorOf(() => parseEdgerc(text));
    expect(error.message).toContain("line 2");
    expect(error.message).not.toContain("xxxxxxxx");
  });

  it("does not echo a value with a bad quote", () => {
    const error = errorOf(() => parseEdgerc(`[default]\nclient_secret = "${SECRET}\n`));
    expect(error.message).toContain("client_secret");
    expect(error.message).not.toContain(SECRET);
  });

  it("schema errors name the field and rule", () => {
    const error = errorOf(() =>
      parseEdgeGridCredentials({ host: "h", clientToken: "c", clientSecret: "", accessToken: "a", maxBody: 1.5 }),
    );
    expect(error.message).toContain("clientSecret: must be a non-empty string");
    expect(error.message).toContain("maxBody: must be an integer");
  });

  it("refuses keys before any section", () => {
    expect(errorOf(() => parseEdgerc("host = x\n[default]\n")).message).toContain('key "host" appears before any [section]');
  });
});

describe("readEdgerc", () => {
  it("reads a file", () => {
    expect(readEdgerc(fixturePath("node/test_edgerc"), "section").clientToken).toBe("sectionClientToken");
  });

  it("handles CRLF files", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgerc-"));
    const path = join(dir, ".edgerc");
    writeFileSync(
      path,
      "[default]\r\nhost = a.luna.akamaiapis.net\r\nclient_token = ct\r\nclient_secret = cs\r\naccess_token = at\r\n",
    );
    expect(readEdgerc(path)).toEqual({ host: "a.luna.akamaiapis.net", clientToken: "ct", clientSecret: "cs", accessToken: "at" });
  });

  it("names the path and error code when the file cannot be read", () => {
    const error = errorOf(() => readEdgerc("/nonexistent/.edgerc"));
    expect(error).toBeInstanceOf(EdgeGridCredentialsError);
    expect(error.message).toBe("cannot read .edgerc file /nonexistent/.edgerc (ENOENT)");
  });
});

describe("readEnvCredentials (akamai-edgegrid's AKAMAI_* / AKAMAI_<SECTION>_* variables)", () => {
  const full = {
    AKAMAI_HOST: "akab-h.luna.akamaiapis.net",
    AKAMAI_CLIENT_TOKEN: "akab-ct",
    AKAMAI_CLIENT_SECRET: "c2VjcmV0LXZhbHVl",
    AKAMAI_ACCESS_TOKEN: "akab-at",
  };

  it("reads the four AKAMAI_* variables for the default section", () => {
    expect(readEnvCredentials(full)).toEqual({
      host: full.AKAMAI_HOST,
      clientToken: "akab-ct",
      clientSecret: "c2VjcmV0LXZhbHVl",
      accessToken: "akab-at",
    });
  });

  it("reads AKAMAI_<SECTION>_* (upper-cased) for another section, never the plain ones", () => {
    const ci = Object.fromEntries(Object.entries(full).map(([k, v]) => [k.replace("AKAMAI_", "AKAMAI_CI_"), `${v}-ci`]));
    expect(readEnvCredentials({ ...full, ...ci }, "ci")?.clientToken).toBe("akab-ct-ci");
    expect(readEnvCredentials(full, "ci")).toBeUndefined();
    expect(edgeGridEnvNames("ci")).toEqual([
      "AKAMAI_CI_HOST",
      "AKAMAI_CI_CLIENT_TOKEN",
      "AKAMAI_CI_CLIENT_SECRET",
      "AKAMAI_CI_ACCESS_TOKEN",
    ]);
  });

  it("is undefined when none is set (blank counts as not set)", () => {
    expect(readEnvCredentials({})).toBeUndefined();
    expect(readEnvCredentials({ AKAMAI_HOST: "  " })).toBeUndefined();
  });

  it("an incomplete set names each missing variable and prints no value", () => {
    const { AKAMAI_ACCESS_TOKEN: _a, AKAMAI_CLIENT_TOKEN: _c, ...partial } = full;
    let message = "";
    try {
      readEnvCredentials(partial);
    } catch (error) {
      expect(error).toBeInstanceOf(EdgeGridCredentialsError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/AKAMAI_CLIENT_TOKEN, AKAMAI_ACCESS_TOKEN are not set \(set: AKAMAI_HOST, AKAMAI_CLIENT_SECRET\)/);
    for (const value of Object.values(full)) expect(message).not.toContain(value);
  });
});
