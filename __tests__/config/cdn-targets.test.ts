import { cdnRuntimeTargetsSchema, cdnTargetsSchema, describeIssues, targetKey } from "../../config/runtime-schema";

const fastly = { cdn: "fastly", serviceId: "SU1Z0isxPaozGVKXdv0eY", hostnames: ["www.example.com"] };
const cloudflare = { cdn: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", plan: "pro", hostnames: ["www.example.com"] };
const cloudfront = { cdn: "cloudfront", distributionId: "E2QWRUHAPOMQZL", hostnames: ["static.example.com"], cacheTags: false };
const akamai = { cdn: "akamai", hostnames: ["www.example.com", "*.example.com"] };

describe("CDN targets (config cdns, and what the stack hands the purge functions)", () => {
  it("accepts one target per CDN and names each", () => {
    const parsed = cdnTargetsSchema.parse([akamai, fastly, cloudflare, cloudfront]);
    expect(parsed.map(targetKey)).toEqual([
      "akamai",
      "fastly:SU1Z0isxPaozGVKXdv0eY",
      "cloudflare:023e105f4ecef8ad9ca31a8372d0c353",
      "cloudfront:E2QWRUHAPOMQZL",
    ]);
  });

  it("names each bad field and what is allowed", () => {
    const result = cdnTargetsSchema.safeParse([
      { ...cloudflare, plan: "gold", zoneId: "zone" },
      { ...cloudfront, cacheTags: "yes", extra: 1 },
    ]);
    expect(result.success).toBe(false);
    const message = describeIssues(result.error!.issues);
    expect(message).toContain('[0].plan: must be "free", "pro", "business" or "enterprise"');
    expect(message).toContain("[0].zoneId: expected a Cloudflare zone id (32 hex characters)");
    expect(message).toContain("[1].cacheTags: must be true or false");
    expect(message).toContain("[1]: unknown field(s) extra");
  });

  it("refuses the same target twice and an unknown CDN", () => {
    expect(cdnTargetsSchema.safeParse([fastly, fastly]).success).toBe(false);
    expect(cdnTargetsSchema.safeParse([{ cdn: "akamai2", hostnames: ["a.example.com"] }]).success).toBe(false);
  });

  it("the runtime form requires the token secret for token-based CDNs only", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane-prod-fastly-AbCdEf";
    expect(cdnRuntimeTargetsSchema.safeParse([fastly]).success).toBe(false);
    expect(cdnRuntimeTargetsSchema.safeParse([{ ...fastly, tokenSecretArn: arn }, cloudfront, akamai]).success).toBe(true);
    expect(cdnRuntimeTargetsSchema.safeParse([{ ...cloudflare, tokenSecretArn: "not-an-arn" }]).success).toBe(false);
  });
});
