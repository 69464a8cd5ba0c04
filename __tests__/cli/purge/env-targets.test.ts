/**
 * `edgeplane purge --env E` in an environment served by several CDNs: --type host|prefix|path, --target KEY and
 * --cdn NAME become the purge API request's `type` and `cdns` (asserted on the body the fake API received); an
 * unknown target or CDN is refused before anything is sent (exit 64), and the API's own refusal is printed (exit 1).
 */
import { loadEnvironments } from "../../../config";
import { DUMMY_AWS, type FakePurgeApi, startFakePurgeApi } from "./fake-purge-api";
import { runCli } from "./run-cli";

const prod = loadEnvironments().find((e) => e.name === "prod")!;
const FASTLY = "fastly:SU1Z0isxPaozGVKXdv0eY";
const CLOUDFLARE = "cloudflare:023e105f4ecef8ad9ca31a8372d0c353";
const CLOUDFRONT = "cloudfront:E2QWRUHAPOMQZL";

let api: FakePurgeApi;

beforeAll(async () => {
  api = await startFakePurgeApi({ region: prod.aws.region, allowedHostnames: prod.purgePolicy.allowedHostnames });
});
afterAll(() => api.close());
beforeEach(() => {
  api.jobs.length = 0;
  api.requests.length = 0;
  api.bodies.length = 0;
  api.pollsUntilDone = 1;
});

const childEnv = {
  ...DUMMY_AWS,
  EDGEPLANE_INSECURE_LOOPBACK: "1",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_CONFIG_FILE: "/nonexistent/edgeplane-test-aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/edgeplane-test-aws-credentials",
};
const viaProd = (...more: string[]) =>
  runCli(["purge", "--env", "prod", "--api-url", api.url, "--poll-interval", "0.05", "--quiet", ...more], { env: childEnv });

test("the targets config/environments/prod.ts lists are the ones these tests name", () => {
  expect(prod.cdns?.map((t) => t.cdn)).toEqual(["akamai", "fastly", "cloudflare", "cloudfront"]);
});

test("--target KEY (repeatable) becomes the request's cdns, in the order given; the job is followed to done", async () => {
  const result = await viaProd("--target", FASTLY, "--target", "akamai", "--json", "https://www.example.com/a");
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(api.bodies).toEqual([
    { type: "url", objects: ["https://www.example.com/a"], action: "invalidate", network: "staging", cdns: [FASTLY, "akamai"] },
  ]);
});

test("--cdn NAME with --env means every target of that CDN in the environment", async () => {
  const result = await viaProd("--cdn", "cloudflare", "--type", "tag", "product-42");
  expect(result.code).toBe(0);
  expect(api.bodies).toEqual([
    { type: "tag", objects: ["product-42"], action: "invalidate", network: "staging", cdns: [CLOUDFLARE] },
  ]);
});

test("without --target or --cdn the request has no cdns (every target serving the objects)", async () => {
  const result = await viaProd("https://www.example.com/a");
  expect(result.code).toBe(0);
  expect(api.bodies).toHaveLength(1);
  expect(api.bodies[0]).not.toHaveProperty("cdns");
});

test("a tag that Akamai would refuse is not refused locally when other CDNs get it: the API judges it", async () => {
  // Akamai's validation refuses this tag (next test); CloudFront's rules are the API's to apply, so it is sent.
  const tag = "a tag with spaces";
  const result = await viaProd("--type", "tag", "--target", CLOUDFRONT, tag);
  expect(api.bodies).toEqual([{ type: "tag", objects: [tag], action: "invalidate", network: "staging", cdns: [CLOUDFRONT] }]);
  // The fake purge API applies Akamai's rules to every tag, so here it is the API that refuses it, and says so.
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("the purge API rejected 1 object(s)");
});

test("a tag for Akamai only is still validated locally the Akamai way: nothing is sent", async () => {
  const result = await viaProd("--type", "tag", "--target", "akamai", "a tag with spaces");
  expect(result.code).toBe(1);
  expect(api.bodies).toEqual([]);
  expect(result.stderr).toContain("1 of 1 object(s) rejected");
});

test.each([
  ["host", CLOUDFLARE, "www.example.com"],
  ["prefix", CLOUDFLARE, "www.example.com/img/"],
  ["path", CLOUDFRONT, "/img/*"],
])("--type %s is sent as is; the API's 400 is printed with its reason and the exit code is 1", async (type, target, object) => {
  // The fake purge API has no CDN targets, so it refuses these types as purge-api does in an environment without them.
  const result = await viaProd("--type", type, "--target", target, object);
  expect(api.bodies).toEqual([{ type, objects: [object], action: "invalidate", network: "staging", cdns: [target] }]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    `FAILED 1 object(s): refusedByApi: POST /purge answered 400: type ${type} needs a CDN target this fake does not have`,
  );
  expect(result.stdout).toContain("not everything was purged: 0 rejected, 1 failed");
});

test("--type host with --dry-run names the targets and sends nothing", async () => {
  const result = await viaProd("--type", "host", "--cdn", "cloudflare", "--dry-run", "--json", "www.example.com");
  expect(result.code).toBe(0);
  expect(api.requests).toEqual([]);
  expect(JSON.parse(result.stdout)).toEqual({
    dryRun: true,
    type: "host",
    objects: 1,
    cdns: [CLOUDFLARE],
    rejected: [],
    failed: [],
  });
});

test.each([
  [
    ["--target", "fastly:NOPE"],
    `--target "fastly:NOPE" is not a CDN target of environment "prod"; allowed: akamai, ${FASTLY}, ${CLOUDFLARE}, ${CLOUDFRONT}`,
  ],
  [["--target", "cloudflare:ABC", "--cdn", "fastly"], `--target "cloudflare:ABC" is not a CDN target of environment "prod"`],
])("an unknown target is refused before sending, exit 64: %j", async (flags, message) => {
  const result = await viaProd(...flags, "https://www.example.com/a");
  expect(result.code).toBe(64);
  expect(result.stderr).toContain(message);
  expect(api.requests).toEqual([]);
});

test("a CDN the environment does not use is refused before sending, exit 64, naming the ones it has", async () => {
  const result = await runCli(
    ["purge", "--env", "staging", "--api-url", api.url, "--cdn", "fastly", "https://www.example.com/a"],
    { env: childEnv },
  );
  expect(result.code).toBe(64);
  expect(result.stderr).toContain('--cdn fastly: environment "staging" has no fastly target; allowed: akamai, cloudfront');
  expect(api.requests).toEqual([]);
});

test("--type all is not a purge API type: refused with the allowed ones, exit 64", async () => {
  const result = await viaProd("--type", "all");
  expect(result.code).toBe(64);
  expect(result.stderr).toContain('--type "all" is not allowed; allowed: url, cpcode, tag, host, prefix, path');
});

test("--target with --job is refused: a job's targets were chosen when it was submitted", async () => {
  const result = await viaProd("--target", "akamai", "--job", "3f2b8c1e");
  expect(result.code).toBe(64);
  expect(result.stderr).toContain("--target and --cdn cannot be combined with --job");
});
