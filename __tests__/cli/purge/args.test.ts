/** The command line: bad flags exit 64 naming the flag and what it accepts; input files and stdin. */
import { purgeCommand } from "../../../cli/purge";
import { parsePurgeArgs } from "../../../cli/purge/args";
import { parseObjectLines } from "../../../cli/purge/input";
import { captureIo, runCli, tempDir } from "./run-cli";

const context = { environmentNames: ["dev", "staging", "prod"] };

describe("usage errors exit 64 and say what is allowed", () => {
  it.each([
    [["--edgerc", "x", "--type", "page", "a"], /--type "page" is not allowed; allowed: url, cpcode, tag/],
    [["--edgerc", "x", "--action", "refresh", "a"], /--action "refresh" is not allowed; allowed: invalidate, delete/],
    [["--edgerc", "x", "--network", "prod", "a"], /--network "prod" is not allowed; allowed: staging, production/],
    [["--edgerc", "x", "--network"], /--network needs a value: one of staging, production/],
    [["--edgerc", "x", "--type", "--json", "a"], /--type needs a value: one of url, cpcode, tag/],
    [["--edgerc", "x", "--urls", "a"], /unknown option "--urls"; options: --type, .*--dry-run/],
    [["--edgerc", "x", "-x", "a"], /unknown option "-x"/],
    [["--edgerc", "x", "--json=yes", "a"], /--json takes no value/],
    [["--edgerc", "x", "--type", "tag", "--type", "url", "a"], /--type was given more than once/],
    [["--type", "tag", "a"], /say where to purge: --env E .* or --edgerc PATH/],
    [["--env", "dev", "--edgerc", "x", "a"], /--env and --edgerc cannot be combined/],
    [["--env", "qa", "a"], /--env "qa" is not an environment in config\/; allowed: dev, staging, prod/],
    [["--edgerc", "x", "--allow-host", "WWW.Example.com", "a"], /--allow-host "WWW.Example.com" is not a hostname/],
    [["--edgerc", "x", "--type", "tag", "--allow-host", "a.com", "a"], /--allow-host only applies to --type url/],
    [["--edgerc", "x", "--timeout", "5", "--type", "tag", "a"], /--timeout only applies with --env/],
    [["--env", "dev", "--section", "s", "a"], /--section only applies with --edgerc/],
    [
      ["--env", "dev", "--allow-host", "a.com", "a"],
      /--allow-host only applies with --edgerc or the AKAMAI_\* variables; .*purgePolicy.allowedHostnames/,
    ],
    [["--env", "dev", "--timeout", "soon", "a"], /--timeout "soon" is not allowed; expected a number of seconds/],
    [["--env", "dev", "--job", "x y"], /--job "x y" is not a job id/],
    [["--env", "dev", "--job", "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f", "a"], /--job follows jobs already submitted/],
    [["--edgerc", "x", "--type", "tag"], /no objects to purge/],
    [
      ["--edgerc", "x", "--service-id", "S", "a"],
      /--service-id only applies with --cdn fastly, cloudflare or cloudfront \(the default --cdn is akamai\)/,
    ],
    [
      ["--cdn", "akamai", "--edgerc", "x", "--type", "host", "a"],
      /--type "host" is not supported by akamai; akamai supports: url, cpcode, tag/,
    ],
    [
      ["--cdn", "fastly", "--service-id", "S", "--env", "dev", "a"],
      /--service-id only applies to a direct purge \(--cdn fastly, cloudflare or cloudfront without --env\); .*--target KEY or --cdn NAME/,
    ],
    [["--target", "akamai", "--edgerc", "x", "a"], /--target only applies with --env/],
    [["--cdn", "fastly", "--service-id", "S", "--target", "akamai", "a"], /--target only applies with --env/],
    [["--cdn", "gcore", "a"], /--cdn "gcore" is not allowed; allowed: akamai, fastly, cloudflare, cloudfront/],
  ])("%j", async (argv, message) => {
    const { io, stdout, stderr } = captureIo();
    expect(await purgeCommand(argv, io)).toBe(64);
    expect(stderr()).toMatch(message);
    expect(stderr()).toContain("see edgeplane purge --help");
    expect(stdout()).toBe("");
  });
});

test("defaults: url, staging, section default, action left to the environment", () => {
  const args = parsePurgeArgs(
    ["--edgerc", "~/.edgerc", "--allow-host", "a.example.com,*.b.example.com", "--allow-host", "c.example.com", "x"],
    context,
  );
  expect(args).toMatchObject({
    type: "url",
    network: "staging",
    section: "default",
    allowHosts: ["a.example.com", "*.b.example.com", "c.example.com"],
    objects: ["x"],
  });
  expect(args.action).toBeUndefined();
  expect(parsePurgeArgs(["--edgerc=e", "--type=tag", "--", "-leading-dash", "-"], context)).toMatchObject({
    type: "tag",
    objects: ["-leading-dash", "-"],
    readStdin: false,
  });
});

test("--help prints the usage, naming every option and the staging default", async () => {
  const { io, stdout } = captureIo();
  expect(await purgeCommand(["--help"], io)).toBe(0);
  for (const option of [
    "--cdn",
    "--service-id",
    "--zone-id",
    "--plan",
    "--account-id",
    "--distribution-id",
    "--cache-tags",
    "--soft",
    "--allow-purge-all",
    "--env",
    "--edgerc",
    "--section",
    "--type",
    "--action",
    "--network",
    "--file",
    "--allow-host",
    "--dry-run",
    "--json",
    "--api-url",
    "--timeout",
    "--job",
    "--skip-invalid",
    "--quiet",
  ]) {
    expect(stdout()).toContain(option);
  }
  expect(stdout()).toMatch(/--network staging\|production\s+default staging/);
  expect(stdout()).toContain('{"batches":[{"purgeId","estimatedSeconds","objects"}]');
});

test("edgeplane purge is wired into the CLI: help lists it, bad flags exit 64", async () => {
  const help = await runCli(["help"]);
  expect(help.stdout).toMatch(/^ {2}purge {2,}/m);
  const bad = await runCli(["purge", "--nope"]);
  expect(bad.code).toBe(64);
  expect(bad.stderr).toContain('unknown option "--nope"');
});

test("files and stdin: one object per line, trimmed; blank lines and # comments skipped; origins kept", async () => {
  const into = { objects: [] as string[], origins: [] as string[] };
  parseObjectLines("# header\r\n  a  \r\n\r\n\t# indented comment\nb\n", "list.txt", into);
  expect(into).toEqual({ objects: ["a", "b"], origins: ["list.txt line 2", "list.txt line 5"] });

  const tmp = tempDir();
  try {
    const file = tmp.file("tags.txt", "one\n#two\nthree\n");
    const { io, stdout } = captureIo({ stdin: "four\n" });
    expect(await purgeCommand(["--edgerc", "unused", "--type", "tag", "--dry-run", "--file", file, "-", "five"], io)).toBe(0);
    expect(stdout()).toMatch(/4 object\(s\) in 1 request\(s\)/);

    const missing = captureIo();
    expect(await purgeCommand(["--edgerc", "unused", "--type", "tag", "--file", `${tmp.dir}/nope.txt`], missing.io)).toBe(1);
    expect(missing.stderr()).toMatch(/--file .*nope\.txt: cannot read it \(ENOENT\)/);
  } finally {
    tmp.remove();
  }
});

test("an .edgerc that cannot be read exits 1 naming the file and section, never a secret", async () => {
  const tmp = tempDir();
  try {
    const edgerc = tmp.file(
      "edgerc",
      "[other]\nhost = akab-x.luna.akamaiapis.net\nclient_token = t\nclient_secret = s3cr3t-value\naccess_token = a\n",
    );
    const { io, stderr } = captureIo();
    expect(await purgeCommand(["--edgerc", edgerc, "--section", "s", "--type", "tag", "x"], io)).toBe(1);
    expect(stderr()).toMatch(/has no section \[s\] \(sections found: \[other\]\)/);
    expect(stderr()).not.toContain("s3cr3t-value");
  } finally {
    tmp.remove();
  }
});
