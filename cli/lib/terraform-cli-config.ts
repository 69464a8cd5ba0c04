/**
 * Terraform runs offline on these machines from a filesystem mirror that holds hashicorp/aws 5.100.0.
 * The machine's TF_CLI_CONFIG_FILE may name a file that does not exist, so the project writes its own CLI
 * config and points Terraform at it. Where no mirror exists (a real pipeline), Terraform's defaults apply.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AWS_PROVIDER_VERSION } from "../../providers/versions";

const DEFAULT_MIRROR_DIRS = ["/opt/tf-plugins", "/usr/share/terraform/plugins", "/root/.terraform.d/plugins"];

/** The first mirror directory that holds registry.terraform.io/hashicorp/aws at the pinned version. */
export function findAwsProviderMirror(candidates: readonly string[] = mirrorCandidates()): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, "registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)));
}

function mirrorCandidates(): string[] {
  const fromEnv = process.env.EDGEPLANE_TF_MIRROR;
  return fromEnv ? [fromEnv, ...DEFAULT_MIRROR_DIRS] : DEFAULT_MIRROR_DIRS;
}

export function cliConfigText(mirrorDir: string, pluginCacheDir?: string): string {
  return [
    "# Written by edgeplane: use the offline provider mirror; nothing is downloaded.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirrorDir)}`,
    '    include = ["registry.terraform.io/*/*"]',
    "  }",
    "}",
    "disable_checkpoint = true",
    // A cache lets repeated inits link the ~600 MB provider instead of copying it.
    ...(pluginCacheDir
      ? [`plugin_cache_dir = ${JSON.stringify(pluginCacheDir)}`, "plugin_cache_may_break_dependency_lock_file = true"]
      : []),
    "",
  ].join("\n");
}

/**
 * Environment for running Terraform: a CLI config that uses the mirror when one exists, or an empty CLI
 * config otherwise (so a dangling TF_CLI_CONFIG_FILE never breaks a run), and no checkpoint calls.
 */
export function terraformEnv(workDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  mkdirSync(workDir, { recursive: true });
  const configFile = join(workDir, "edgeplane.tfrc");
  const mirror = findAwsProviderMirror();
  const pluginCache = join(workDir, "plugin-cache");
  mkdirSync(pluginCache, { recursive: true });
  writeFileSync(configFile, mirror ? cliConfigText(mirror, pluginCache) : "disable_checkpoint = true\n");
  return { ...base, TF_CLI_CONFIG_FILE: configFile, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
}
