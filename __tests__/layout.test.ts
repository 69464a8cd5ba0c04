/** The engine in core/ stays free of the layers above it: handlers, CLI, constructs and the sandbox import core, never the reverse. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(__dirname, "..");
// config/schema.ts is shared on purpose: the Lambdas parse what the stack hands them with its pieces.
const LAYERS_ABOVE_CORE = ["cli", "functions", "constructs", "sandbox", "bench"];
/** Lambda runtime and AWS service adapters belong to functions/; core talks to them through ports. */
const PACKAGES_FORBIDDEN_IN_CORE = [
  /^aws-lambda$/,
  /^@aws-lambda-powertools\//,
  /^@aws-sdk\/(client-(dynamodb|sqs|secrets-manager|s3)|lib-dynamodb)$/,
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function importSpecifiers(source: string): string[] {
  const pattern =
    /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? "");
}

function layerViolations(file: string, specifiers: string[]): string[] {
  return specifiers.flatMap((specifier) => {
    if (specifier.startsWith(".")) {
      const top = relative(ROOT, resolve(dirname(file), specifier)).split(/[\\/]/)[0] ?? "";
      return LAYERS_ABOVE_CORE.includes(top) ? [`${relative(ROOT, file)} imports ${specifier} (${top}/ is above core/)`] : [];
    }
    return PACKAGES_FORBIDDEN_IN_CORE.some((pattern) => pattern.test(specifier))
      ? [`${relative(ROOT, file)} imports ${specifier} (an AWS adapter concern: put it in functions/aws/ behind a port)`]
      : [];
  });
}

describe("layout", () => {
  it("core/ imports none of cli/, functions/, constructs/, sandbox/, bench/ nor AWS adapter packages", () => {
    const files = tsFiles(join(ROOT, "core"));
    expect(files.length).toBeGreaterThan(20);
    const violations = files.flatMap((file) => layerViolations(file, importSpecifiers(readFileSync(file, "utf8"))));
    expect(violations).toEqual([]);
  });

  it("the check sees a violation when there is one", () => {
    const file = join(ROOT, "core", "jobs", "example.ts");
    expect(layerViolations(file, importSpecifiers('import { x } from "../../functions/aws/job-store";\n'))).toHaveLength(1);
    expect(layerViolations(file, importSpecifiers('import type { SQSRecord } from "aws-lambda";\n'))).toHaveLength(1);
    expect(layerViolations(file, importSpecifiers('import { planBatches } from "../purge/planner";\n'))).toEqual([]);
  });
});
