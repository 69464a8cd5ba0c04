/** cli/flags.ts: the one flag-spec reader every command uses (over util.parseArgs). */
import { runCommand } from "../../cli/command";
import { CREDENTIAL_FLAGS, type FlagSpec, HELP_FLAG, parseFlags } from "../../cli/flags";
import { CommandError, EdgeplaneError, EXIT_STATUS, UsageError } from "../../cli/io";
import { captureIo } from "./purge/run-cli";

const SPECS: readonly FlagSpec[] = [
  ...CREDENTIAL_FLAGS,
  { name: "--file", value: "a file", repeatable: true },
  { name: "--json" },
  HELP_FLAG,
];

test("values inline or next, repeatable flags in order, positionals with '-' and after '--'", () => {
  const parsed = parseFlags(["--edgerc=e", "--file", "a", "x", "--file=-b", "-", "--json", "--", "--json", "-"], SPECS);
  expect(parsed.values.get("--edgerc")).toEqual(["e"]);
  expect(parsed.values.get("--file")).toEqual(["a", "-b"]);
  expect(parsed.booleans).toEqual(new Set(["--json"]));
  expect(parsed.positionals).toEqual(["x", "-", "--json", "-"]);
  expect(parsed.afterTerminator).toEqual(new Set([2, 3]));
  expect(parseFlags(["-h"], SPECS).booleans.has("--help")).toBe(true);
});

test.each([
  [["--nope"], /unknown option "--nope"; options: --edgerc, --section, --file, --json, --help/],
  [["-x"], /unknown option "-x"/],
  [["--edgerc"], /--edgerc needs a value: an .edgerc file path/],
  [["--edgerc", "--json"], /--edgerc needs a value/],
  [["--edgerc="], /--edgerc needs a value/],
  [["--json=yes"], /--json takes no value; got "--json=yes"/],
  [["--json", "--json"], /--json was given more than once/],
  [["--section", "a", "--section", "b"], /--section was given more than once/],
])("%j is a UsageError naming the flag", (argv, message) => {
  expect(() => parseFlags(argv, SPECS)).toThrow(UsageError);
  expect(() => parseFlags(argv, SPECS)).toThrow(message);
});

test("the command frame maps errors to their exit status and rethrows bugs", async () => {
  const usage = captureIo();
  expect(await runCommand("x", usage.io, async () => Promise.reject(new UsageError("bad flag")))).toBe(EXIT_STATUS.usage);
  expect(usage.stderr()).toBe("edgeplane x: bad flag\n(see edgeplane x --help)\n");
  const failed = captureIo();
  expect(await runCommand("x", failed.io, async () => Promise.reject(new CommandError("no file", "io")))).toBe(
    EXIT_STATUS.failed,
  );
  expect(failed.stderr()).toBe("edgeplane x: no file\n");
  expect(new CommandError("m", "io")).toMatchObject({ code: "io", exitStatus: 1 });
  expect(new UsageError("m")).toBeInstanceOf(EdgeplaneError);
  await expect(runCommand("x", failed.io, async () => Promise.reject(new TypeError("bug")))).rejects.toThrow("bug");
});
