/**
 * `npm run get`: generates .gen/providers/akamai/** from providers/akamai/schema.json with the same
 * generator `cdktf get` uses, because the Akamai provider cannot be downloaded here (see DESIGN.md).
 * Module paths and class names are therefore the ones `cdktf get` produces.
 */
import { generateProviderBindingsFromSchema } from "@cdktf/provider-generator";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AKAMAI_PROVIDER_SCHEMA_VERSION } from "./versions";

const AKAMAI_FQPN = "registry.terraform.io/akamai/akamai";

export async function generateAkamaiBindings(root: string): Promise<string> {
  const schema = JSON.parse(readFileSync(join(root, "providers/akamai/schema.json"), "utf8"));
  if (!schema.provider_schemas?.[AKAMAI_FQPN]) {
    throw new Error(`providers/akamai/schema.json has no provider_schemas["${AKAMAI_FQPN}"]`);
  }
  // `cdktf get` records the provider version it generated from; do the same.
  schema.provider_versions = { [AKAMAI_FQPN]: AKAMAI_PROVIDER_SCHEMA_VERSION };
  const outDir = join(root, ".gen");
  rmSync(join(outDir, "providers/akamai"), { recursive: true, force: true });
  await generateProviderBindingsFromSchema(outDir, schema);
  return join(outDir, "providers/akamai");
}

if (require.main === module) {
  generateAkamaiBindings(join(__dirname, "..")).then(
    (dir) => console.log(`generated Akamai provider bindings in ${dir}`),
    (error: unknown) => {
      console.error(`npm run get failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
