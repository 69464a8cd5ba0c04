/**
 * Size budgets of the Lambda bundles (minified JavaScript, what Lambda loads at a cold start). A bundle
 * that grows past its budget fails here with its largest packages listed; `npm run bench` prints the same
 * breakdown and the cold load of each bundle.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  lambdaEntries,
  measureBundles,
  packageSizes,
  PROJECT_ROOT,
  type BundleMeasure,
} from "../../constructs/aws/lambda-bundle";

const KiB = 1024;
/** No Lambda bundle may exceed this (issue 8). */
const CEILING = 450 * KiB;
/** Per function: what the code weighs with zod/mini everywhere, plus room to grow. */
const BUDGETS: Record<string, number> = {
  // purge-api plans every CDN's batches (the providers' validation and planning code): 401 KiB when raised to 425.
  "functions/purge-api/index.ts": 425 * KiB,
  "functions/purge-worker/index.ts": 400 * KiB,
  "functions/rotate-credentials/index.ts": 300 * KiB,
  "functions/edgekv-tokens/index.ts": 350 * KiB,
};

let bundles: BundleMeasure[];
beforeAll(() => {
  bundles = measureBundles(lambdaEntries());
}, 120_000);

const kib = (bytes: number) => `${(bytes / KiB).toFixed(0)} KiB`;

/** Project files that import a package (by its bare name or a subpath of it). */
function importersOf(bundle: BundleMeasure, specifier: RegExp): string[] {
  return Object.entries(bundle.projectImports)
    .filter(([, imports]) => imports.some((i) => specifier.test(i)))
    .map(([file]) => file);
}

test("every function has a budget, and no budget is above the 450 KiB ceiling", () => {
  expect(bundles.map((b) => b.entry).sort()).toEqual(Object.keys(BUDGETS).sort());
  for (const budget of Object.values(BUDGETS)) expect(budget).toBeLessThanOrEqual(CEILING);
});

test("no bundle carries full zod: code bundled into a Lambda validates with zod/mini", () => {
  const offenders = bundles
    .filter((b) => b.files.some((f) => f.includes("node_modules/zod/v4/classic/")))
    .map((b) => `${b.entry}: full zod imported by ${importersOf(b, /^zod(\/v4)?$/).join(", ") || "a dependency"}`);
  expect(offenders).toEqual([]);
});

test("no bundle carries the SDK's credential chain beyond the environment (functions/aws/lambda-credentials.ts)", () => {
  for (const bundle of bundles) {
    const names = bundle.packages.map((p) => p.name);
    expect(names).not.toContain("@aws-sdk/credential-provider-node");
    expect(names).not.toContain("@aws-sdk/nested-clients");
  }
});

test.each(Object.keys(BUDGETS))("%s stays within its size budget", (entry) => {
  const bundle = bundles.find((b) => b.entry === entry)!;
  const largest = bundle.packages
    .slice(0, 5)
    .map((p) => `${p.name} ${kib(p.bytes)}`)
    .join(", ");
  if (bundle.codeBytes > BUDGETS[entry]!) {
    throw new Error(
      `${entry} is ${kib(bundle.codeBytes)}, over its budget of ${kib(BUDGETS[entry]!)}; largest packages: ${largest}`,
    );
  }
  expect(bundle.codeBytes).toBeLessThanOrEqual(BUDGETS[entry]!);
});

describe("the SDK's credentials inside a bundle", () => {
  // Under cdktf.out/ (git-ignored), so a synth of the tree never sees this entry.
  const dir = join(PROJECT_ROOT, "cdktf.out", `.credentials-probe-${process.pid}`);
  const saved = { ...process.env };
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "index.ts"),
      `import { SQSClient } from "@aws-sdk/client-sqs";\nexport const handler = () => new SQSClient({ region: "eu-west-1" }).config.credentials();\n`,
    );
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    process.env = saved;
  });

  test("come from the environment Lambda sets, as with the SDK's default chain", async () => {
    const [probe] = measureBundles([relative(PROJECT_ROOT, join(dir, "index.ts"))]);
    expect(probe!.packages.map((p) => p.name)).toContain("@aws-sdk/credential-provider-env");
    const mod: { exports: { handler?: () => Promise<Record<string, unknown>> } } = { exports: {} };
    new Function("module", "exports", "require", Buffer.from(probe!.code).toString("utf8"))(mod, mod.exports, require);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "AKIAPROBEPROBEPROBE0",
      AWS_SECRET_ACCESS_KEY: "probe-secret",
      AWS_SESSION_TOKEN: "probe-session",
    });
    await expect(mod.exports.handler!()).resolves.toMatchObject({
      accessKeyId: "AKIAPROBEPROBEPROBE0",
      secretAccessKey: "probe-secret",
      sessionToken: "probe-session",
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    // Without them there is nothing else to fall back on: a clear error, never a call to some other source.
    await expect(mod.exports.handler!()).rejects.toThrow(/environment variable/i);
  });
});

test("package sizes: bytes summed per package, the innermost node_modules entry naming it, project files as (project)", () => {
  expect(
    packageSizes({
      "node_modules/zod/v4/mini/schemas.js": { bytesInOutput: 10 },
      "node_modules/zod/v4/core/core.js": { bytesInOutput: 5 },
      "node_modules/@aws-sdk/client-s3/dist-es/index.js": { bytesInOutput: 20 },
      "node_modules/@aws-sdk/client-s3/node_modules/@smithy/core/dist-es/index.js": { bytesInOutput: 7 },
      "core/jobs/policy.ts": { bytesInOutput: 3 },
      "config/runtime-schema.ts": { bytesInOutput: 4 },
    }),
  ).toEqual([
    { name: "@aws-sdk/client-s3", bytes: 20 },
    { name: "zod", bytes: 15 },
    { name: "(project)", bytes: 7 },
    { name: "@smithy/core", bytes: 7 },
  ]);
});
