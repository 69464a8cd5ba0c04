/**
 * Runs the real Terraform CLI for tests: offline, from the provider mirror, with the project's own CLI config.
 * When Terraform (or the mirror) is missing, tests say so plainly and skip — except with CI=true, where
 * they fail, because CI must run them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { findAwsProviderMirror, terraformEnv } from "../../cli/lib/terraform-cli-config";

export interface TerraformAvailability {
  ok: boolean;
  reason?: string;
}

export function terraformAvailability(): TerraformAvailability {
  const version = spawnSync("terraform", ["version"], { encoding: "utf8", env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" } });
  if (version.error || version.status !== 0) return { ok: false, reason: "terraform is not installed (not found on PATH)" };
  if (!findAwsProviderMirror()) {
    return { ok: false, reason: "no offline provider mirror holding registry.terraform.io/hashicorp/aws 5.100.0 (set EDGEPLANE_TF_MIRROR)" };
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
export function offlineTerraformEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...terraformEnv(join(__dirname, "..", "..", "node_modules", ".cache", "edgeplane-terraform")),
    AWS_ACCESS_KEY_ID: "AKIAOFFLINEPLANONLY00",
    AWS_SECRET_ACCESS_KEY: "offline-plan-only-not-a-key",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

export function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync("terraform", args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${e.stderr || ""}\n${e.stdout || ""}`.trim());
  }
}
