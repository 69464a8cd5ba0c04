/**
 * Where a token-based CDN target (Fastly, Cloudflare) keeps its API token: one Secrets Manager secret per target,
 * named from the environment and the target's id. The stack creates it without a value (constructs/aws/
 * cdn-purge-targets.ts) and `edgeplane secrets set` writes the token into it (cli/secrets/), both from these names.
 */
import type { CdnTargetConfig } from "./runtime-schema";

export type TokenCdnTarget = Extract<CdnTargetConfig, { cdn: "fastly" | "cloudflare" }>;

export function isTokenTarget(target: CdnTargetConfig): target is TokenCdnTarget {
  return target.cdn === "fastly" || target.cdn === "cloudflare";
}

/** The Fastly service id or Cloudflare zone id. */
export function tokenTargetId(target: TokenCdnTarget): string {
  return target.cdn === "fastly" ? target.serviceId : target.zoneId;
}

/** e.g. edgeplane/prod/cdn-token/fastly/SU1Z0isxPaozGVKXdv0eY (ids are letters and digits: no "-XXXXXX" ARN-suffix look-alike). */
export function cdnTokenSecretName(environmentName: string, target: TokenCdnTarget): string {
  return `edgeplane/${environmentName}/cdn-token/${target.cdn}/${tokenTargetId(target)}`;
}

/** The stack output holding the secret's ARN, e.g. cdn_token_secret_fastly_SU1Z0isxPaozGVKXdv0eY. */
export function cdnTokenSecretOutputName(target: TokenCdnTarget): string {
  return `cdn_token_secret_${target.cdn}_${tokenTargetId(target)}`;
}

/** aws, aws-cn or aws-us-gov: the partition of a region, for ARNs written by hand. */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
