/**
 * The CDN token declarations the token job reads, and its days-to-expiry report against the Fastly and Cloudflare
 * emulators over loopback, with a fake clock.
 */
import {
  parseCdnTokenDeclarations,
  reportCdnTokenExpiry,
  type CdnTokenDeclaration,
  type TokenCdn,
} from "../../../core/cdn/token-expiry";
import { cdnTokensFromEnv } from "../../../core/tokens/settings";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../../sandbox/cloudflare";
import { startFastlyEmulator, type FastlyEmulator } from "../../../sandbox/fastly";

const DAY = 86_400_000;
const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/${name}-AbCdEf`;
const ZONE = "0123456789abcdef0123456789abcdef";
const ACCOUNT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

describe("parseCdnTokenDeclarations", () => {
  it("reads Fastly and Cloudflare declarations", () => {
    const list = [
      { cdn: "fastly", secretArn: ARN("fastly"), serviceId: "SU1Z0isxPaozGVKXdv0eY", purgeAll: true },
      { cdn: "cloudflare", secretArn: ARN("cloudflare"), zoneId: ZONE, accountId: ACCOUNT },
    ];
    expect(parseCdnTokenDeclarations(JSON.stringify(list), "X")).toEqual(list);
    expect(cdnTokensFromEnv({})).toEqual([]);
    expect(cdnTokensFromEnv({ EDGEPLANE_CDN_TOKENS: " " })).toEqual([]);
    expect(cdnTokensFromEnv({ EDGEPLANE_CDN_TOKENS: JSON.stringify(list) })).toEqual(list);
  });

  it("names every bad field at once, and never accepts an unknown field or CDN", () => {
    const bad = [
      { cdn: "fastly", secretArn: "fastly-token", serviceId: "no spaces allowed" },
      { cdn: "cloudflare", secretArn: ARN("cf"), zoneId: "example.com" },
      { cdn: "cloudfront", secretArn: ARN("cf") },
      { cdn: "fastly", secretArn: ARN("f"), serviceId: "SVC1", token: "oops" },
    ];
    let message = "";
    try {
      parseCdnTokenDeclarations(JSON.stringify(bad), "EDGEPLANE_CDN_TOKENS");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^EDGEPLANE_CDN_TOKENS is invalid: /);
    expect(message).toContain("0.secretArn: must be a Secrets Manager secret ARN");
    expect(message).toContain("0.serviceId: must be letters and digits (a Fastly service id)");
    expect(message).toContain("1.zoneId: must be 32 lowercase hex characters (the zone id, not its name)");
    expect(message).toContain('2.cdn: cdn must be "fastly" (with serviceId) or "cloudflare" (with zoneId)');
    expect(message).toContain("3: unknown field(s) token; allowed: ");
    expect(() => parseCdnTokenDeclarations(JSON.stringify([{ cdn: "fastly", secretArn: ARN("f") }]), "X")).toThrow(
      "X is invalid: 0.serviceId: must be a string (it is missing or of another type)",
    );
    expect(() => parseCdnTokenDeclarations("{}", "X")).toThrow("X is invalid: (list): must be a list");
    expect(message).not.toContain("oops");
    expect(() => parseCdnTokenDeclarations("{", "EDGEPLANE_CDN_TOKENS")).toThrow("EDGEPLANE_CDN_TOKENS is not valid JSON");
  });
});

describe("reportCdnTokenExpiry", () => {
  let fastly: FastlyEmulator;
  let cloudflare: CloudflareEmulator;
  const start = Date.now();
  const env = () => ({
    EDGEPLANE_FASTLY_API_URL: fastly.url,
    EDGEPLANE_CLOUDFLARE_API_URL: `${cloudflare.url}/client/v4`,
    EDGEPLANE_INSECURE_LOOPBACK: "1",
  });
  const secrets: Record<string, string> = {
    [ARN("fastly")]: "fastly-good",
    [ARN("fastly-forever")]: "fastly-forever",
    [ARN("fastly-read")]: "fastly-read",
    [ARN("cloudflare")]: "cf-account",
  };
  const readToken = async (arn: string) => {
    const token = secrets[arn];
    if (token === undefined) throw new Error(`the token secret ${arn} has no value yet (AWSCURRENT)`);
    return token;
  };

  beforeAll(async () => {
    fastly = await startFastlyEmulator({
      services: [{ id: "SVC1" }],
      tokens: [
        { token: "fastly-good", scope: "purge_select", services: ["SVC1"], expiresAtMs: start + 20 * DAY + 3_600_000 },
        { token: "fastly-forever", scope: "global" },
        { token: "fastly-read", scope: "global:read", expiresAtMs: start + 90 * DAY + 3_600_000 },
      ],
    });
    cloudflare = await startCloudflareEmulator({
      zones: [{ id: ZONE, plan: "pro", accountId: ACCOUNT }],
      tokens: [
        {
          token: "cf-account",
          kind: "account",
          accountId: ACCOUNT,
          purgeZones: [ZONE],
          expiresOnMs: start + 7 * DAY + 3_600_000,
        },
      ],
    });
  });
  afterAll(async () => {
    await fastly.close();
    await cloudflare.close();
  });

  it("reports whole days left per CDN token as the metric, with the clock it is given; no purge is sent", async () => {
    const declarations: CdnTokenDeclaration[] = [
      { cdn: "fastly", secretArn: ARN("fastly"), serviceId: "SVC1" },
      { cdn: "fastly", secretArn: ARN("fastly-forever"), serviceId: "SVC1" },
      { cdn: "cloudflare", secretArn: ARN("cloudflare"), zoneId: ZONE, accountId: ACCOUNT },
    ];
    for (const [offset, expected] of [
      [0, [20, 7]],
      [5 * DAY, [15, 2]],
    ] as const) {
      const emitted: Array<[TokenCdn, number]> = [];
      const results = await reportCdnTokenExpiry(declarations, {
        readToken,
        daysToExpiry: (cdn, days) => emitted.push([cdn, days]),
        now: () => start + offset,
        env: env(),
      });
      expect(emitted).toEqual([
        ["fastly", expected[0]],
        ["cloudflare", expected[1]],
      ]);
      expect(results.map((r) => r.problems)).toEqual([[], [], []]);
      expect(results[1]).toEqual({ cdn: "fastly", target: "SVC1", expiresAt: null, problems: [] });
    }
    expect(fastly.state.purges).toEqual([]);
    expect(cloudflare.state.purges).toEqual([]);
  });

  it("an unreadable secret, a refused token or a missing scope is a problem naming the CDN and target, and the others still report", async () => {
    const emitted: Array<[TokenCdn, number]> = [];
    const results = await reportCdnTokenExpiry(
      [
        { cdn: "fastly", secretArn: ARN("fastly-unset"), serviceId: "SVC1" },
        { cdn: "fastly", secretArn: ARN("fastly-read"), serviceId: "SVC1" },
        { cdn: "cloudflare", secretArn: ARN("cloudflare"), zoneId: ZONE },
        { cdn: "fastly", secretArn: ARN("fastly"), serviceId: "SVC1", purgeAll: true },
      ],
      { readToken, daysToExpiry: (cdn, days) => emitted.push([cdn, days]), now: () => start, env: env() },
    );
    expect(results.map((r) => r.problems)).toEqual([
      [`fastly service SVC1: the token secret ${ARN("fastly-unset")} has no value yet (AWSCURRENT)`],
      ['fastly service SVC1: scope missing: token scope lacks purge_select (or global); the token\'s scope is "global:read"'],
      [
        expect.stringMatching(
          /^cloudflare zone 0123456789abcdef0123456789abcdef: token refused: Cloudflare refused the token .*give the account id/,
        ),
      ],
      [expect.stringMatching(/^fastly service SVC1: scope purge_all missing: token scope lacks purge_all/)],
    ]);
    // A token with a missing scope still has an expiry worth reporting; a refused one has none.
    expect(emitted).toEqual([
      ["fastly", 90],
      ["fastly", 20],
    ]);
    expect(JSON.stringify(results)).not.toMatch(/fastly-good|fastly-read|cf-account/);
  });
});
