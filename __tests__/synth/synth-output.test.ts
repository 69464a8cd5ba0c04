/**
 * What synth writes, from two clean copies of the tree at different absolute paths, each bundling every
 * Lambda afresh (no bundle cache):
 * - one synthesized through `cdktf synth`, the other through `npm run synth` (the app run directly,
 *   cli/synth.ts): their output directories must be byte-identical, every file included (the manifest,
 *   each stack's cdk.tf.json, every Lambda zip). So `npm run synth` writes what the cdktf CLI writes, and
 *   synth is deterministic: the same source gives the same bytes wherever it is checked out, and plans stay
 *   quiet when nothing changed.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { terraformEnv } from "../../cli/lib/terraform-cli-config";
import { cdktfAppEnv } from "../../cli/synth";

const root = join(__dirname, "../..");
const STACKS = ["edgeplane-dev", "edgeplane-staging", "edgeplane-prod"];

function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgeplane-clone-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  cpSync(join(root, ".gen"), join(dir, ".gen"), { recursive: true }); // what `npm ci` generates
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

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

describe("cdktf synth and npm run synth, each from a clean copy with no bundle cache", () => {
  const [viaCli, direct] = [cleanCopy(), cleanCopy()];
  let expected: Map<string, Buffer>;
  let actual: Map<string, Buffer>;
  let directOutput: string;

  beforeAll(() => {
    const env = (dir: string) => ({
      ...terraformEnv(join(dir, "node_modules/.cache/edgeplane-terraform")),
      CHECKPOINT_DISABLE: "1",
      CI: "true",
      EDGEPLANE_BUNDLE_CACHE: "off",
    });
    execFileSync(join(viaCli, "node_modules/.bin/cdktf"), ["synth"], { cwd: viaCli, env: env(viaCli), stdio: "pipe" });
    // A stack directory left from an earlier synth of a stack the app no longer has: both remove it.
    mkdirSync(join(direct, "cdktf.out", "stacks", "edgeplane-retired"), { recursive: true });
    directOutput = execFileSync("npm", ["run", "--silent", "synth"], { cwd: direct, env: env(direct), encoding: "utf8" });
    expected = filesUnder(join(viaCli, "cdktf.out"));
    actual = filesUnder(join(direct, "cdktf.out"));
  }, 240_000);

  afterAll(() => {
    rmSync(viaCli, { recursive: true, force: true });
    rmSync(direct, { recursive: true, force: true });
  });

  test("write byte-identical output directories: manifest, cdk.tf.json of every stack and every Lambda zip", () => {
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    expect([...expected.keys()]).toContain("manifest.json");
    for (const stack of STACKS) {
      expect([...expected.keys()]).toContain(`stacks/${stack}/cdk.tf.json`);
      expect([...expected.keys()].filter((f) => f.startsWith(`stacks/${stack}/assets/`) && f.endsWith(".zip"))).toHaveLength(4);
    }
    for (const [file, bytes] of expected) expect({ file, same: actual.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    expect(existsSync(join(direct, "cdktf.out", "stacks", "edgeplane-retired"))).toBe(false);
    expect(directOutput).toContain("Generated Terraform code for the stacks: edgeplane-dev, edgeplane-prod, edgeplane-staging");
  });

  test("nothing depends on where the tree is checked out: no absolute path in any stack; the same Lambda hashes", () => {
    for (const stack of STACKS) {
      const text = expected.get(`stacks/${stack}/cdk.tf.json`)!.toString("utf8");
      expect(text).not.toContain(viaCli);
      expect(text).not.toContain(direct);
      expect(text).not.toContain(root);
    }
    const hashes = (files: Map<string, Buffer>) =>
      Object.values(
        JSON.parse(files.get("stacks/edgeplane-prod/cdk.tf.json")!.toString("utf8")).resource.aws_lambda_function,
      ).map((f: any) => f.source_code_hash);
    expect(hashes(actual)).toHaveLength(4);
    expect(hashes(actual)).toEqual(hashes(expected));
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
