import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkAkamaiBlocks, loadAkamaiSchema } from "../../providers/schema-check";
import { exampleEnv, synthEdgeStack, variantEnv } from "../helpers/synth";

const schema = loadAkamaiSchema();

describe("every akamai_* block of every example stack matches providers/akamai/schema.json", () => {
  test.each(["dev", "staging", "prod"] as const)("%s", (name) => {
    const { json } = synthEdgeStack(exampleEnv(name));
    const akamaiTypes = Object.keys(json.resource).filter((t) => t.startsWith("akamai_"));
    expect(akamaiTypes).toEqual(expect.arrayContaining(["akamai_iam_api_client", "akamai_edgekv"]));
    expect(checkAkamaiBlocks(json, schema)).toEqual([]);
  });

  test("a variant with every optional feature (all CP codes, IP ACL, group items) also matches", () => {
    const env = variantEnv("staging", (e) => {
      e.purgeApiClient.cpCodes = "all";
      e.purgeApiClient.ipAcl = ["198.51.100.0/24", "2001:db8::/32"];
    });
    expect(checkAkamaiBlocks(synthEdgeStack(env).json, schema)).toEqual([]);
  });
});

describe("the checker itself catches what the provider would refuse", () => {
  const valid = synthEdgeStack(exampleEnv("prod")).json;
  const withChange = (change: (json: Record<string, any>) => void) => {
    const json = structuredClone(valid);
    change(json);
    return checkAkamaiBlocks(json, schema).map((p) => `${p.resource} ${p.path}: ${p.problem}`);
  };

  test("a missing required attribute", () => {
    expect(withChange((j) => delete j.resource.akamai_edgekv.redirects_production.group_id)).toEqual([
      "akamai_edgekv.redirects_production group_id: required attribute is missing",
    ]);
  });

  test("an unknown attribute, also inside nested attributes", () => {
    expect(
      withChange((j) => {
        j.resource.akamai_edgekv.redirects_production.retention = 1;
        j.resource.akamai_iam_api_client.purge_api_client.purge_options.cp_code_access.cpcodes = [1];
      }),
    ).toEqual([
      "akamai_edgekv.redirects_production retention: unknown attribute (not in provider schema)",
      "akamai_iam_api_client.purge_api_client purge_options.cp_code_access.cpcodes: unknown attribute (not in provider schema)",
    ]);
  });

  test("wrong types", () => {
    expect(
      withChange((j) => {
        j.resource.akamai_edgekv.redirects_production.group_id = "grp_100003";
        j.resource.akamai_iam_api_client.purge_api_client.notification_emails = "ops@example.com";
      }),
    ).toEqual([
      'akamai_edgekv.redirects_production group_id: expected a number, got "grp_100003"',
      "akamai_iam_api_client.purge_api_client notification_emails: expected a list",
    ]);
  });

  test("documented allowed values and ranges", () => {
    expect(
      withChange((j) => {
        j.resource.akamai_edgekv.redirects_production.network = "PRODUCTION";
        j.resource.akamai_edgekv.site_config_production.retention_in_seconds = 3600;
        j.resource.akamai_iam_api_client.purge_api_client.api_access.apis[0].access_level = "ADMIN";
        j.resource.akamai_iam_api_client.purge_api_client.authorized_users = ["a", "b"];
      }),
    ).toEqual([
      'akamai_edgekv.redirects_production network: "PRODUCTION" is not allowed; allowed: "staging", "production"',
      "akamai_edgekv.site_config_production retention_in_seconds: 3600 is not allowed; allowed: 0 or 86400..315360000",
      'akamai_iam_api_client.purge_api_client api_access.apis[0].access_level: "ADMIN" is not allowed; allowed: "READ-ONLY", "READ-WRITE", "CREDENTIAL-READ-ONLY", "CREDENTIAL-READ-WRITE"',
      "akamai_iam_api_client.purge_api_client authorized_users: exactly one authorized user is required",
    ]);
  });

  test("computed-only attributes cannot be set; unknown resource types are reported", () => {
    expect(
      withChange((j) => {
        j.resource.akamai_iam_api_client.purge_api_client.client_id = "abc";
        j.resource.akamai_edgekv_namespace = { x: {} };
      }),
    ).toEqual([
      "akamai_iam_api_client.purge_api_client client_id: computed-only attribute cannot be set",
      "akamai_edgekv_namespace.x : unknown resource type akamai_edgekv_namespace (not in provider schema)",
    ]);
  });

  test("the provider block is checked too", () => {
    expect(withChange((j) => (j.provider.akamai[0].secret = "x"))).toEqual([
      "provider.akamai[0] secret: unknown attribute (not in provider schema)",
    ]);
  });
});

test("providers/akamai/schema.json is the shared 9.2.0 schema, with its notes beside it", () => {
  const notes = readFileSync(join(__dirname, "../../providers/akamai/NOTES.md"), "utf8");
  expect(notes).toContain("9.2.0");
  expect(Object.keys(schema.provider_schemas["registry.terraform.io/akamai/akamai"]!.resource_schemas).sort()).toEqual([
    "akamai_edgekv",
    "akamai_edgekv_group_items",
    "akamai_edgeworker",
    "akamai_edgeworkers_activation",
    "akamai_iam_api_client",
  ]);
});
