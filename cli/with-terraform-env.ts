/** Runs a command (e.g. `cdktf synth`) with the project's Terraform CLI config: `tsx cli/with-terraform-env.ts cmd args…`. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { terraformEnv } from "./lib/terraform-cli-config";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: tsx cli/with-terraform-env.ts <command> [args…]");
  process.exit(64);
}
const result = spawnSync(command, args, {
  stdio: "inherit",
  env: terraformEnv(join(__dirname, "..", "node_modules", ".cache", "edgeplane-terraform")),
});
process.exit(result.status ?? 1);
