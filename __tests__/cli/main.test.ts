import { spawnSync } from "node:child_process";
import { join } from "node:path";

const bin = join(__dirname, "../../cli/bin.cjs");
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("edgeplane validate-config summarises every valid example environment", () => {
  const result = run("validate-config");
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split("\n")).toEqual([
    "dev: stack edgeplane-dev, AWS 111111111111/eu-west-1, backend local, namespaces dev_config:staging, 1 token(s)",
    "staging: stack edgeplane-staging, AWS 222222222222/eu-west-1, backend s3, namespaces site_config:staging, 1 token(s)",
    "prod (protected): stack edgeplane-prod, AWS 333333333333/eu-west-1, backend s3, namespaces site_config:production, redirects:production, 1 token(s)",
  ]);
});

test("unknown commands and arguments are usage errors (exit 64) that say what is allowed", () => {
  const unknown = run("purgee");
  expect(unknown.status).toBe(64);
  expect(unknown.stderr).toContain('unknown command "purgee"');
  expect(unknown.stderr).toContain("validate-config");
  const extra = run("validate-config", "--env");
  expect(extra.status).toBe(64);
  expect(extra.stderr).toContain('unexpected argument "--env"');
});
