/**
 * Two synths from two clean copies of the tree (different absolute paths) must give byte-identical
 * cdk.tf.json files and Lambda zips, so plans stay quiet when nothing changed.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(__dirname, "../..");
const STACKS = ["edgeplane-dev", "edgeplane-staging", "edgeplane-prod"];

function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgeplane-clone-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  cpSync(join(root, ".gen"), join(dir, ".gen"), { recursive: true }); // what `npm ci` generates
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

function synth(dir: string): Record<string, { json: Buffer; zips: Record<string, Buffer> }> {
  // No bundle cache: each copy must bundle from scratch and still give the same bytes.
  execFileSync(join(dir, "node_modules/.bin/tsx"), ["main.ts"], { cwd: dir, stdio: "pipe", env: { ...process.env, EDGEPLANE_BUNDLE_CACHE: "off" } });
  return Object.fromEntries(
    STACKS.map((stack) => {
      const stackDir = join(dir, "cdktf.out/stacks", stack);
      const zips: Record<string, Buffer> = {};
      const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
          const path = join(d, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (entry.name.endsWith(".zip")) zips[path.slice(stackDir.length)] = readFileSync(path);
        }
      };
      walk(join(stackDir, "assets"));
      return [stack, { json: readFileSync(join(stackDir, "cdk.tf.json")), zips }];
    }),
  );
}

test("two clean copies synthesize byte-identical stacks and Lambda zips", () => {
  const [a, b] = [cleanCopy(), cleanCopy()];
  try {
    const first = synth(a);
    const second = synth(b);
    for (const stack of STACKS) {
      expect(first[stack]!.json.equals(second[stack]!.json)).toBe(true);
      expect(Object.keys(first[stack]!.zips)).toHaveLength(4);
      expect(Object.keys(second[stack]!.zips)).toEqual(Object.keys(first[stack]!.zips));
      for (const [path, zip] of Object.entries(first[stack]!.zips)) expect(zip.equals(second[stack]!.zips[path]!)).toBe(true);
      const text = first[stack]!.json.toString("utf8");
      expect(text).not.toContain(a);
      expect(text).not.toContain(root);
    }
    const hashes = (s: (typeof first)[string]) =>
      Object.values(JSON.parse(s.json.toString("utf8")).resource.aws_lambda_function).map((f: any) => f.source_code_hash);
    expect(hashes(first["edgeplane-prod"]!)).toEqual(hashes(second["edgeplane-prod"]!));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
}, 120_000);
