import { parseEdgerc } from "../../core/edgegrid/credentials";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { main, parseMainOptions } from "../../sandbox/main";
import { LOOPBACK_ENV } from "../helpers/sandbox-harness";

describe("parseMainOptions", () => {
  it("reads flags first, then the environment, then defaults", () => {
    expect(parseMainOptions([], {})).toEqual({ port: 0, timeScale: 1 });
    expect(parseMainOptions([], { EDGEPLANE_SANDBOX_PORT: "8080", EDGEPLANE_SANDBOX_TIME_SCALE: "10" })).toEqual({
      port: 8080,
      timeScale: 10,
    });
    expect(parseMainOptions(["--port", "9000", "--time-scale=2.5"], { EDGEPLANE_SANDBOX_PORT: "8080" })).toEqual({
      port: 9000,
      timeScale: 2.5,
    });
  });

  it.each([
    [["--port", "abc"], /--port must be an integer/],
    [["--port", "70000"], /--port must be an integer/],
    [["--port"], /--port needs a value/],
    [["--port", "--time-scale", "2"], /--port needs a value/],
    [["--time-scale", "0"], /--time-scale must be a positive number/],
    [["--time-scale", "fast"], /--time-scale must be a positive number/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseMainOptions(argv, {})).toThrow(message);
  });
});

describe("main", () => {
  it("prints the URL and a working .edgerc section, saying the secret is a throwaway", async () => {
    let output = "";
    const sandbox = await main(["--port", "0"], {}, (text) => {
      output += text;
    });
    try {
      expect(output).toContain(`listening on ${sandbox.url}`);
      expect(output).toMatch(/throwaway client created when this sandbox started/);
      expect(output).toContain("EDGEPLANE_INSECURE_LOOPBACK=1");
      const credentials = parseEdgerc(output.slice(output.indexOf("[sandbox]")), "sandbox");
      expect(credentials.host).toBe(sandbox.url);
      const transport = new EdgeGridTransport({ credentials, env: LOOPBACK_ENV });
      try {
        const res = await transport.request({ method: "POST", path: "/ccu/v3/invalidate/tag", body: { objects: ["hello"] } });
        expect(res.status).toBe(201);
      } finally {
        transport.close();
      }
    } finally {
      await sandbox.close();
    }
  });
});
