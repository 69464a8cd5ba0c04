import { EdgeGridHostError, edgeGridBaseUrl, resolveEdgeGridEndpoint } from "../../../core/edgegrid/host-safety";

const SECURE = {};
const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };

describe("resolveEdgeGridEndpoint", () => {
  it.each([
    ["akab-abc-def.luna.akamaiapis.net", "https://akab-abc-def.luna.akamaiapis.net"],
    ["akab-abc-def.luna.akamaiapis.net/", "https://akab-abc-def.luna.akamaiapis.net"],
    ["https://akab-abc-def.luna.akamaiapis.net", "https://akab-abc-def.luna.akamaiapis.net"],
    ["  HTTPS://AKAB-X.Purge.AkamaiAPIs.net/  ", "https://akab-x.purge.akamaiapis.net"],
    ["https://akab-x.luna.akamaiapis.net:443", "https://akab-x.luna.akamaiapis.net"],
  ])("accepts %s", (host, baseUrl) => {
    expect(edgeGridBaseUrl(host, SECURE)).toBe(baseUrl);
  });

  it("returns scheme and Host header for signing", () => {
    expect(resolveEdgeGridEndpoint("akab-x.luna.akamaiapis.net", SECURE)).toEqual({
      baseUrl: "https://akab-x.luna.akamaiapis.net",
      scheme: "https",
      host: "akab-x.luna.akamaiapis.net",
    });
  });

  it.each([
    "http://akab-x.luna.akamaiapis.net", // plain http
    "akamaiapis.net", // no name under the domain
    "x.akamaiapis.net.evil.example",
    "evil.example",
    "https://evil.example#.akamaiapis.net",
    "https://akab-x.luna.akamaiapis.net@evil.example",
    "https://user:pw@akab-x.luna.akamaiapis.net",
    "https://akab-x.luna.akamaiapis.net/some/path",
    "https://akab-x.luna.akamaiapis.net?x=1",
    "https://akab-x.luna.akamaiapis.net:8443",
    "https://akab-x.luna.akamaiapis.net.",
    "https://a_b.luna.akamaiapis.net",
    "ftp://akab-x.luna.akamaiapis.net",
    "http://127.0.0.1:8080", // loopback needs the env switch
    "",
  ])("refuses %j", (host) => {
    expect(() => resolveEdgeGridEndpoint(host, SECURE)).toThrow(EdgeGridHostError);
  });

  it("says what is allowed and how to allow loopback", () => {
    expect(() => edgeGridBaseUrl("http://127.0.0.1:8080", SECURE)).toThrow(
      /allowed: https:\/\/<name>\.akamaiapis\.net \(set EDGEPLANE_INSECURE_LOOPBACK=1/,
    );
  });

  it("never echoes the value (a swapped field could hold a secret)", () => {
    const secretLike = "akab-access-token-xxx-xxxxxxxxxxxxxxxx";
    expect(() => edgeGridBaseUrl(secretLike, SECURE)).toThrow(EdgeGridHostError);
    try {
      edgeGridBaseUrl(secretLike, SECURE);
    } catch (error) {
      expect((error as Error).message).not.toContain(secretLike);
    }
  });

  describe("with EDGEPLANE_INSECURE_LOOPBACK=1", () => {
    it.each([
      ["http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080"],
      ["http://localhost:1234/", "http://localhost:1234", "localhost:1234"],
    ])("accepts %s", (host, baseUrl, hostHeader) => {
      expect(resolveEdgeGridEndpoint(host, LOOPBACK)).toEqual({ baseUrl, scheme: "http", host: hostHeader });
    });

    it("still accepts Akamai hosts", () => {
      expect(edgeGridBaseUrl("akab-x.luna.akamaiapis.net", LOOPBACK)).toBe("https://akab-x.luna.akamaiapis.net");
    });

    it.each([
      "http://127.0.0.1", // no explicit port
      "http://127.0.0.2:8080",
      "http://[::1]:8080",
      "http://10.0.0.1:8080",
      "http://localhost.evil.example:8080",
      "127.0.0.1:8080", // bare host means https, and https is for Akamai only
      "https://127.0.0.1:8080",
      "http://evil.example:8080",
    ])("refuses %s", (host) => {
      expect(() => resolveEdgeGridEndpoint(host, LOOPBACK)).toThrow(EdgeGridHostError);
    });

    it("needs exactly '1'", () => {
      expect(() => edgeGridBaseUrl("http://127.0.0.1:8080", { EDGEPLANE_INSECURE_LOOPBACK: "true" })).toThrow(EdgeGridHostError);
    });
  });

  it("reads process.env by default", () => {
    const before = process.env.EDGEPLANE_INSECURE_LOOPBACK;
    try {
      process.env.EDGEPLANE_INSECURE_LOOPBACK = "1";
      expect(edgeGridBaseUrl("http://127.0.0.1:9")).toBe("http://127.0.0.1:9");
      delete process.env.EDGEPLANE_INSECURE_LOOPBACK;
      expect(() => edgeGridBaseUrl("http://127.0.0.1:9")).toThrow(EdgeGridHostError);
    } finally {
      if (before === undefined) delete process.env.EDGEPLANE_INSECURE_LOOPBACK;
      else process.env.EDGEPLANE_INSECURE_LOOPBACK = before;
    }
  });
});
