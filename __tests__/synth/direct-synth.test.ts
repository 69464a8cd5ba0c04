/**
 * `npm run synth` runs the app directly (cli/synth.ts) instead of through the cdktf CLI; it must write
 * exactly what `cdktf synth` writes: every file of the output directory, the manifest and the Lambda zips
 * included, byte for byte.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { terraformEnv } from "../../cli/lib/terraform-cli-config";
import { cdktfAppEnv } from "../../cli/synth";

const root = join(__dirname, "../..");

function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

describe("npm run synth and cdktf synth", () => {
  const work = mkdtempSync(join(tmpdir(), "edgeplane-direct-synth-"));
  const throughCli = join(work, "cdktf");
  const direct = join(work, "direct");
  const env = { ...terraformEnv(join(root, "node_modules/.cache/edgeplane-terraform")), CHECKPOINT_DISABLE: "1", CI: "true" };
  let directOutput: string;

  beforeAll(() => {
    execFileSync(join(root, "node_modules/.bin/cdktf"), ["synth", "--output", throughCli], { cwd: root, env, stdio: "pipe" });
    // A stack directory left from an earlier synth of a stack the app no longer has: both remove it.
    mkdirSync(join(direct, "stacks", "edgeplane-retired"), { recursive: true });
    directOutput = execFileSync("npm", ["run", "--silent", "synth", "--", "--output", direct], { cwd: root, env, encoding: "utf8" });
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("write byte-identical output directories: manifest, cdk.tf.json of every stack and every Lambda zip", () => {
    const expected = filesUnder(throughCli);
    const actual = filesUnder(direct);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    expect([...expected.keys()].filter((f) => f.endsWith(".zip"))).toHaveLength(12);
    expect([...expected.keys()]).toContain("manifest.json");
    for (const stack of ["edgeplane-dev", "edgeplane-staging", "edgeplane-prod"]) expect([...expected.keys()]).toContain(`stacks/${stack}/cdk.tf.json`);
    for (const [file, bytes] of expected) expect({ file, same: actual.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    expect(existsSync(join(direct, "stacks", "edgeplane-retired"))).toBe(false);
    expect(directOutput).toContain("Generated Terraform code for the stacks: edgeplane-dev, edgeplane-prod, edgeplane-staging");
  });
});

test("the app gets the environment the cdktf CLI gives it", () => {
  const env = cdktfAppEnv("out", root, { PATH: "/bin", TF_VAR_secret: "x", CDKTF_CONTEXT_JSON: '{"ignored":true}' });
  expect(env).toEqual({
    PATH: "/bin",
    NODE_OPTIONS: "--max-old-space-size=4096",
    CDKTF_OUTDIR: "out",
    CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true",
    // cdktf.json has a context ({}), which replaces any CDKTF_CONTEXT_JSON, as the CLI does.
    CDKTF_CONTEXT_JSON: '{"cdktfRelativeModules":[]}',
    SYNTH_HCL_OUTPUT: "false",
  });
  expect(cdktfAppEnv("out", root, { NODE_OPTIONS: "--enable-source-maps" }).NODE_OPTIONS).toBe("--enable-source-maps");
});
