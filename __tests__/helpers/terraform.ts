/**
 * Runs the real Terraform CLI for tests: offline, from the provider mirror, with the project's own CLI config.
 * When Terraform (or the mirror) is missing, tests say so plainly and skip — except with CI=true, where
 * they fail, because CI must run them.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { findAwsProviderMirror, terraformEnv } from "../../cli/lib/terraform-cli-config";

export interface TerraformAvailability {
  ok: boolean;
  reason?: string;
}

export function terraformAvailability(): TerraformAvailability {
  const version = spawnSync("terraform", ["version"], {
    encoding: "utf8",
    env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
  });
  if (version.error || version.status !== 0) return { ok: false, reason: "terraform is not installed (not found on PATH)" };
  if (!findAwsProviderMirror()) {
    return {
      ok: false,
      reason: "no offline provider mirror holding registry.terraform.io/hashicorp/aws 5.100.0 (set EDGEPLANE_TF_MIRROR)",
    };
  }
  return { ok: true };
}

/** `describe` when Terraform can run; otherwise a suite that explains why, and fails under CI=true. */
export function describeWithTerraform(name: string, body: () => void): void {
  const availability = terraformAvailability();
  if (availability.ok) {
    describe(name, body);
    return;
  }
  const message = `real-Terraform tests cannot run: ${availability.reason}`;
  if (process.env.CI === "true") {
    describe(name, () => {
      test("terraform is available (required when CI=true)", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${name}: ${message}`);
  describe.skip(name, body);
}

/** Environment for offline runs: project CLI config, dummy AWS keys (never real), no checkpoint. */
const TERRAFORM_WORK_DIR = join(__dirname, "..", "..", "node_modules", ".cache", "edgeplane-terraform");

export function offlineTerraformEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...terraformEnv(TERRAFORM_WORK_DIR),
    AWS_ACCESS_KEY_ID: "AKIAOFFLINEPLANONLY00",
    AWS_SECRET_ACCESS_KEY: "offline-plan-only-not-a-key",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

export function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync("terraform", args, {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${e.stderr || ""}\n${e.stdout || ""}`.trim());
  }
}

/** `terraform` without blocking the process, so independent plans can run side by side. */
export function terraformAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("terraform", args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${stderr || ""}\n${stdout || ""}`.trim()));
      else resolve(stdout);
    });
  });
}

/**
 * `terraform init` for a synthesized stack directory, done once per provider set and backend and shared:
 * the first caller inits a template directory under node_modules/.cache/edgeplane-terraform (one jest
 * worker at a time, behind a lock directory); every stack directory with the same `terraform` block then
 * links its .terraform to the template's and copies its lock file. Providers come from the plugin cache, so
 * what is shared is small; what is saved is Terraform hashing the ~600 MB AWS provider on every init.
 */
export function terraformInit(dir: string, env: NodeJS.ProcessEnv): void {
  const block = (JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as { terraform: unknown }).terraform;
  const key = createHash("sha256").update(JSON.stringify(block)).update(terraformVersion()).digest("hex").slice(0, 16);
  const template = join(TERRAFORM_WORK_DIR, `init-${key}`);
  withLock(`${template}.lock`, () => {
    if (templateIsUsable(template)) return;
    const fresh = `${template}.${process.pid}.tmp`;
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { recursive: true });
    writeFileSync(join(fresh, "main.tf.json"), JSON.stringify({ terraform: block }, null, 2));
    terraform(["init", "-input=false", "-no-color"], fresh, env);
    rmSync(template, { recursive: true, force: true });
    renameSync(fresh, template);
  });
  rmSync(join(dir, ".terraform"), { recursive: true, force: true });
  symlinkSync(join(template, ".terraform"), join(dir, ".terraform"), "dir");
  copyFileSync(join(template, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
}

let version: string | undefined;
function terraformVersion(): string {
  version ??= execFileSync("terraform", ["version", "-json"], {
    encoding: "utf8",
    env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
  });
  return version;
}

/** A template is usable when its lock file exists and every provider it links still exists (caches get cleaned). */
function templateIsUsable(template: string): boolean {
  if (!existsSync(join(template, ".terraform.lock.hcl")) || !existsSync(join(template, ".terraform", "providers"))) return false;
  try {
    const lock = readFileSync(join(template, ".terraform.lock.hcl"), "utf8");
    for (const [, source, providerVersion] of lock.matchAll(/provider "([^"]+)" \{\s*version\s*=\s*"([^"]+)"/g)) {
      const platformDir = join(
        template,
        ".terraform",
        "providers",
        source!,
        providerVersion!,
        `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`,
      );
      realpathSync(platformDir); // throws when the link's target is gone
    }
    return true;
  } catch {
    return false;
  }
}

/** Runs `body` holding a lock directory (atomic mkdir), shared by jest workers; a lock older than 5 minutes is stale. */
function withLock(lockDir: string, body: () => void): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 5 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // the holder removed it meanwhile
      }
      Atomics.wait(sleeper, 0, 0, 200);
    }
  }
  try {
    body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
