import { ConfigError, loadEnvironments, validateEnvironments } from "../../config";
import { type EnvironmentInput, hostnameCovers } from "../../config/schema";
import { exampleEnv } from "../helpers/synth";

function problemsFor(inputs: Record<string, unknown>): string[] {
  try {
    validateEnvironments(inputs);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.message
        .split("\n")
        .slice(1)
        .map((l) => l.trim());
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
}

function devWith(change: (env: any) => void): Record<string, unknown> {
  const env = structuredClone(exampleEnv("dev")) as EnvironmentInput;
  change(env);
  return { dev: env };
}

test("the example environments are valid, in order dev, staging, prod; only prod is protected", () => {
  const envs = loadEnvironments();
  expect(envs.map((e) => [e.name, e.protected])).toEqual([
    ["dev", false],
    ["staging", false],
    ["prod", true],
  ]);
});

test("one run reports every problem, each naming the environment, the field, the bad value and what is allowed", () => {
  const problems = problemsFor({
    ...devWith((e) => {
      e.protected = "yes";
      e.edgeKv.namespaces[0].network = "Production";
      e.edgeKv.namespaces[0].retentionSeconds = 3600;
      e.purgeApiClient.cpCodes = [1000001, -3];
      e.purgePolicy.allowedNetworks = ["prod"];
      e.aws.region = "Ireland";
    }),
    staging: { ...(structuredClone(exampleEnv("staging")) as object), logRetentionDays: 10 },
  });
  expect(problems).toEqual([
    '- environment "dev", field protected: got "yes"; Invalid input: expected boolean, received string',
    '- environment "dev", field aws.region: got "Ireland"; expected an AWS region like eu-west-1',
    '- environment "dev", field purgeApiClient.cpCodes[1]: got -3; expected a positive integer',
    '- environment "dev", field edgeKv.namespaces[0].network: got "Production"; Invalid option: expected one of "staging"|"production"',
    '- environment "dev", field edgeKv.namespaces[0].retentionSeconds: got 3600; expected 0 (forever) or 86400..315360000 seconds',
    '- environment "dev", field purgePolicy.allowedNetworks[0]: got "prod"; Invalid option: expected one of "staging"|"production"',
    '- environment "staging", field logRetentionDays: got 10; expected a CloudWatch Logs retention: 1,3,5,7,14,30,60,90,120,150,180,365,400,545,731,1096,1827,2192,2557,2922,3288,3653',
  ]);
});

test("unknown fields are reported, never ignored; missing fields say so", () => {
  expect(
    problemsFor(
      devWith((e) => {
        e.purgePolicy.allowedHosts = ["www.example.com"];
        delete e.alarms;
      }),
    ),
  ).toEqual([
    '- environment "dev", field purgePolicy.allowedHosts: got an unknown field; remove it or fix its spelling (unknown fields are never ignored)',
    '- environment "dev", field alarms: got nothing (the field is missing); Invalid input: expected object, received undefined',
  ]);
});

test("secret values have no place in the config: akamai credentials take an edgerc section or env section only", () => {
  expect(problemsFor(devWith((e) => (e.akamai.credentials = { source: "inline", clientSecret: "abc" })))).toEqual([
    '- environment "dev", field akamai.credentials.source: got "inline"; expected credentials.source "edgerc" (path, section) or "env" (section)',
  ]);
  expect(problemsFor(devWith((e) => (e.akamai.credentials.clientSecret = "abc")))).toEqual([
    '- environment "dev", field akamai.credentials.clientSecret: got an unknown field; remove it or fix its spelling (unknown fields are never ignored)',
  ]);
});

test("cross-field rules: tokens name declared namespaces, staging is US, protected needs a shared backend, alarms need one target", () => {
  expect(
    problemsFor(
      devWith((e) => {
        e.protected = true;
        e.edgeKv.tokens[0].namespacePermissions = { nope: ["r"] };
        e.edgeKv.tokens[0].allowOnStaging = false;
      }),
    ),
  ).toEqual([
    '- environment "dev", field edgeKv.tokens[0].namespacePermissions: got {"nope":["r"]}; namespace "nope" is not declared in edgeKv.namespaces; declared: dev_config',
    '- environment "dev", field edgeKv.tokens[0].allowOnStaging: got false; at least one of allowOnStaging or allowOnProduction must be true',
    '- environment "dev", field aws.backend.type: got "local"; a protected environment needs a shared, locked backend; use "s3"',
  ]);
  expect(problemsFor(devWith((e) => (e.edgeKv.namespaces[0].geoLocation = "EU")))).toEqual([
    '- environment "dev", field edgeKv.namespaces[0].geoLocation: got "EU"; staging namespaces are always stored in US; set geoLocation to US',
  ]);
  expect(
    problemsFor(devWith((e) => (e.alarms = { email: "a@example.com", snsTopicArn: "arn:aws:sns:eu-west-1:111111111111:ops" }))),
  ).toEqual([
    '- environment "dev", field alarms: got {"email":"a@example.com","snsTopicArn":"arn:aws:sns:eu-west-1:111111111111:ops"}; expected exactly one of alarms.email or alarms.snsTopicArn',
  ]);
});

test("across environments: the registered key must match the name, and state locations are never shared", () => {
  const staging = structuredClone(exampleEnv("staging")) as EnvironmentInput;
  const prod = structuredClone(exampleEnv("prod")) as EnvironmentInput;
  if (prod.aws.backend.type === "s3" && staging.aws.backend.type === "s3") prod.aws.backend.key = staging.aws.backend.key;
  expect(problemsFor({ staging, prod, qa: exampleEnv("dev") })).toEqual([
    '- environment "qa", field name: got "dev"; expected "qa", the key it is registered under',
    '- environment "prod", field aws.backend.key: got "edgeplane/staging.tfstate"; a state location not shared with environment "staging"',
  ]);
});

test("schedules: the credential rotation accepts only Secrets Manager forms", () => {
  expect(problemsFor(devWith((e) => (e.rotation.credentialSchedule = "rate(5 minutes)")))).toEqual([
    '- environment "dev", field rotation.credentialSchedule: got "rate(5 minutes)"; expected rate(N days), rate(N hours) or cron(six fields)',
  ]);
});

describe("cdns: the CDNs serving an environment", () => {
  const fastly = { cdn: "fastly", serviceId: "SU1Z0isxPaozGVKXdv0eY", hostnames: ["www.example.com"] };

  test("absent means Akamai alone (dev); the prod example lists all four CDNs, staging Akamai and CloudFront", () => {
    const envs = loadEnvironments();
    expect(envs.map((e) => [e.name, e.cdns?.map((t) => t.cdn)])).toEqual([
      ["dev", undefined],
      ["staging", ["akamai", "cloudfront"]],
      ["prod", ["akamai", "fastly", "cloudflare", "cloudfront"]],
    ]);
  });

  test("bad targets name the field, the value and what is allowed", () => {
    expect(
      problemsFor(
        devWith((e) => {
          e.cdns = [
            { cdn: "cloudflare", zoneId: "zone-1", plan: "gold", hostnames: ["www.example.com"] },
            { ...fastly, token: "x" },
            { cdn: "edgecast", hostnames: [] },
          ];
          e.purgePolicy.allowedHostnames = ["www.example.com"];
        }),
      ),
    ).toEqual([
      '- environment "dev", field cdns[0].zoneId: got "zone-1"; expected a Cloudflare zone id (32 hex characters)',
      '- environment "dev", field cdns[0].plan: got "gold"; must be "free", "pro", "business" or "enterprise"',
      '- environment "dev", field cdns[1].token: got an unknown field; remove it or fix its spelling (unknown fields are never ignored)',
      `- environment "dev", field cdns[2].cdn: got "edgecast"; Invalid discriminator value. Expected 'akamai' | 'fastly' | 'cloudflare' | 'cloudfront'`,
    ]);
  });

  test("every target's hostnames must be allowed by the purge policy (exact or under a wildcard)", () => {
    const env = exampleEnv("dev");
    const allowed = env.purgePolicy.allowedHostnames.join(", ");
    expect(allowed).toBe("www.example.com, static.example.com, *.assets.example.com");
    expect(
      problemsFor(
        devWith((e) => {
          e.cdns = [
            {
              cdn: "akamai",
              hostnames: ["www.example.com", "static.example.com", "img.assets.example.com", "*.assets.example.com"],
            },
            { ...fastly, hostnames: ["shop.example.com", "*.example.com", "assets.example.com"] },
          ];
        }),
      ),
    ).toEqual([
      `- environment "dev", field cdns[1].hostnames[0]: got "shop.example.com"; not allowed by purgePolicy.allowedHostnames (${allowed}); a CDN may serve only allowed hostnames (exact or under a wildcard)`,
      `- environment "dev", field cdns[1].hostnames[1]: got "*.example.com"; not allowed by purgePolicy.allowedHostnames (${allowed}); a CDN may serve only allowed hostnames (exact or under a wildcard)`,
      `- environment "dev", field cdns[1].hostnames[2]: got "assets.example.com"; not allowed by purgePolicy.allowedHostnames (${allowed}); a CDN may serve only allowed hostnames (exact or under a wildcard)`,
    ]);
  });

  test("every allowed hostname must be served by some target; an exact name does not serve a wildcard", () => {
    expect(
      problemsFor(
        devWith((e) => {
          e.cdns = [{ cdn: "akamai", hostnames: ["www.example.com", "img.assets.example.com"] }];
        }),
      ),
    ).toEqual([
      '- environment "dev", field purgePolicy.allowedHostnames[1]: got "static.example.com"; served by no CDN in cdns; add it to the hostnames of the CDN(s) that serve it, or remove it from allowedHostnames',
      '- environment "dev", field purgePolicy.allowedHostnames[2]: got "*.assets.example.com"; served by no CDN in cdns; add it to the hostnames of the CDN(s) that serve it, or remove it from allowedHostnames',
    ]);
  });

  test("several CDNs may serve one hostname; a wildcard serves the names and wildcards below it", () => {
    const envs = validateEnvironments(
      devWith((e) => {
        e.purgePolicy.allowedHostnames = ["*.example.com", "www.example.com"];
        e.cdns = [
          { cdn: "akamai", hostnames: ["*.example.com"] },
          { ...fastly, hostnames: ["www.example.com", "*.assets.example.com", "img.example.com"] },
        ];
      }),
    );
    expect(envs[0]!.cdns).toHaveLength(2);
  });

  test("the same target twice is refused", () => {
    const akamai = { cdn: "akamai", hostnames: ["www.example.com", "static.example.com", "*.assets.example.com"] };
    expect(problemsFor(devWith((e) => (e.cdns = [akamai, fastly, fastly])))).toEqual([
      expect.stringMatching(/^- environment "dev", field cdns: got \[\{"cdn":"akamai".*; lists the same CDN target twice$/),
    ]);
  });
});

describe("hostnameCovers", () => {
  test.each([
    ["www.example.com", "www.example.com", true],
    ["www.example.com", "*.example.com", false],
    ["*.example.com", "www.example.com", true],
    ["*.example.com", "a.b.example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "*.example.com", true],
    ["*.example.com", "*.b.example.com", true],
    ["*.b.example.com", "*.example.com", false],
    ["*.example.com", "www.badexample.com", false],
  ])("%s covers %s: %s", (pattern, host, expected) => {
    expect(hostnameCovers(pattern, host)).toBe(expected);
  });
});
