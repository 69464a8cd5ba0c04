/** `npm run sandbox` options for use from the CLI by hand: EdgeWorker ids, token kind, --edgerc-out. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../core/akamai/edgeworkers";
import { readEdgerc } from "../../core/edgegrid/credentials";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { main, parseMainOptions } from "../../sandbox/main";
import { LOOPBACK_ENV } from "../helpers/sandbox-harness";

describe("parseMainOptions: the options for trying the CLI by hand", () => {
  it("reads repeatable and comma-separated EdgeWorker ids, the token kind and the .edgerc output file", () => {
    expect(parseMainOptions(["--edgeworker-id", "4242", "--edgeworker-id=7,8", "--edgeworker-id", "7"], {})).toEqual({
      port: 0,
      timeScale: 1,
      edgeWorkerIds: [4242, 7, 8],
    });
    expect(parseMainOptions(["--token-kind", "legacy", "--edgerc-out", "/tmp/x.edgerc"], {})).toEqual({
      port: 0,
      timeScale: 1,
      tokenKind: "legacy",
      edgercOut: "/tmp/x.edgerc",
    });
  });

  it.each([
    [["--edgeworker-id", "0"], /--edgeworker-id must be a positive integer/],
    [["--edgeworker-id", "abc"], /--edgeworker-id must be a positive integer/],
    [["--edgeworker-id"], /--edgeworker-id needs a value/],
    [["--token-kind", "jwt"], /--token-kind must be enhanced or legacy, got "jwt"/],
    [["--edgerc-out", "a", "--edgerc-out", "b"], /--edgerc-out was given more than once/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseMainOptions(argv, {})).toThrow(message);
  });
});

describe("main with --edgerc-out", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "edgeplane-sandbox-main-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a working [sandbox] section with mode 0600, with the EdgeWorker ids and token kind asked for", async () => {
    const file = join(dir, "x.edgerc");
    let output = "";
    const sandbox = await main(
      ["--edgerc-out", file, "--edgeworker-id", "4242", "--token-kind", "legacy"],
      {},
      (text) => (output += text),
    );
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(output).toContain(`Written to ${file} (mode 0600): use --edgerc ${file} --section sandbox`);
      expect(output).toContain("EdgeWorker ids: 4242");
      const credentials = readEdgerc(file, "sandbox");
      expect(credentials.host).toBe(sandbox.url);
      const transport = new EdgeGridTransport({ credentials, env: LOOPBACK_ENV });
      try {
        expect(await new EdgeWorkersClient(transport).listVersions(4242)).toEqual([]);
        const token = await new EdgeKvTokensClient(transport).createToken({
          name: "t1",
          allowOnStaging: true,
          allowOnProduction: false,
          namespacePermissions: { default: ["r"] },
          expiry: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        });
        expect(token.value).toEqual(expect.any(String)); // a legacy token: JWT value and expiry
      } finally {
        transport.close();
      }
    } finally {
      await sandbox.close();
    }
  });

  it("replaces an earlier sandbox's file but never a file with other sections", async () => {
    const earlier = join(dir, "earlier.edgerc");
    writeFileSync(earlier, "[sandbox]\nhost = http://127.0.0.1:1\nclient_token = a\nclient_secret = b\naccess_token = c\n", {
      mode: 0o644,
    });
    const sandbox = await main(["--edgerc-out", earlier], {}, () => undefined);
    await sandbox.close();
    expect(readFileSync(earlier, "utf8")).toContain(sandbox.url);
    expect(statSync(earlier).mode & 0o777).toBe(0o600);

    const real = join(dir, "real.edgerc");
    const text = "[default]\nhost = akab-x.luna.akamaiapis.net\nclient_token = a\nclient_secret = b\naccess_token = c\n";
    writeFileSync(real, text);
    await expect(main(["--edgerc-out", real], {}, () => undefined)).rejects.toThrow(
      /already holds other sections \(\[default\]\); give a new file/,
    );
    expect(readFileSync(real, "utf8")).toBe(text);
  });
});
