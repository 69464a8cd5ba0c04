/**
 * Where the direct CDN commands (`purge --cdn`, `validate-credentials --cdn`) get their credentials, the way each
 * CDN's own tools read them:
 * - Fastly: FASTLY_API_TOKEN (the Fastly CLI's variable);
 * - Cloudflare: CLOUDFLARE_API_TOKEN (wrangler's and Terraform's variable);
 * - CloudFront: the AWS SDK default credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN],
 *   a profile or SSO, GitHub OIDC web identity, an instance or task role).
 * Messages name variables, never a value.
 */
import type { CallerIdentityAnswer } from "../core/cdn/credential-checks";
import { resolveApiBaseUrl } from "../core/cdn/endpoint";
import { CdnConfigError, type CdnTransport } from "../core/cdn/types";
import { CommandError, UsageError } from "./io";

export const CDN_TOKEN_ENV = { fastly: "FASTLY_API_TOKEN", cloudflare: "CLOUDFLARE_API_TOKEN" } as const;

const TOKEN_HINT = {
  fastly: "an API token with the purge_select scope, limited to the service (purge_all too for --type all)",
  cloudflare: "an API token with Zone → Cache Purge → Purge on the zone",
} as const;

/** The token from the CDN's variable; missing or blank is a usage error naming the variable. */
export function cdnToken(cdn: "fastly" | "cloudflare", env: Record<string, string | undefined>): string {
  const name = CDN_TOKEN_ENV[cdn];
  const token = env[name];
  if (token === undefined || token.trim() === "") {
    throw new UsageError(`--cdn ${cdn} needs ${name}: set it to ${TOKEN_HINT[cdn]}`);
  }
  return token.trim();
}

/** A provider or endpoint configuration error as the CLI reports it: the flag (exit 64) or the variable (exit 1). */
export function cdnConfigProblem(error: unknown, flags: Readonly<Record<string, string>>): Error {
  if (!(error instanceof CdnConfigError)) return error as Error;
  const flag = flags[error.field];
  if (flag !== undefined) return new UsageError(`${flag}: ${error.message}`);
  return new CommandError(error.message);
}

export interface CloudFrontClients {
  transport: CdnTransport;
  callerIdentity: () => Promise<CallerIdentityAnswer>;
  close(): void;
}

const ENDPOINT_ENVS = {
  cloudfront: ["AWS_ENDPOINT_URL_CLOUDFRONT", "AWS_ENDPOINT_URL"],
  sts: ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"],
} as const;

/**
 * CloudFront and STS clients on the AWS SDK credential chain, one attempt per call (the runner owns retries and
 * keeps the CallerReference). The SDK's own endpoint overrides (AWS_ENDPOINT_URL_CLOUDFRONT, AWS_ENDPOINT_URL_STS,
 * AWS_ENDPOINT_URL) are refused unless they point at the loopback sandbox with EDGEPLANE_INSECURE_LOOPBACK=1 (exit 1),
 * and are read from the command's environment, as are keys given as variables (the first link of the SDK chain);
 * everything else comes from the SDK's default chain. The SDK is loaded here only, so other commands do not pay for it.
 */
export async function cloudFrontClients(env: Record<string, string | undefined>): Promise<CloudFrontClients> {
  const endpoint = (service: keyof typeof ENDPOINT_ENVS, real: string): string | undefined => {
    for (const name of ENDPOINT_ENVS[service]) {
      try {
        const url = resolveApiBaseUrl(real, name, env);
        if (url !== real) return url;
      } catch (error) {
        throw cdnConfigProblem(error, {});
      }
    }
    return undefined;
  };
  const cloudfrontEndpoint = endpoint("cloudfront", "https://cloudfront.amazonaws.com");
  const stsEndpoint = endpoint("sts", "https://sts.amazonaws.com");
  const [{ CloudFrontClient }, { STSClient }, { defaultProvider }] = await Promise.all([
    import("@aws-sdk/client-cloudfront"),
    import("@aws-sdk/client-sts"),
    import("@aws-sdk/credential-provider-node"),
  ]);
  // CommonJS require: a dynamic import() of a project file needs an extension that ts-jest cannot resolve.
  const { cloudFrontTransport } = require("../core/cdn/cloudfront-sdk") as typeof import("../core/cdn/cloudfront-sdk");
  const { stsCallerIdentity } = require("../core/cdn/credential-sdk") as typeof import("../core/cdn/credential-sdk");
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const credentials =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : defaultProvider();
  const stsRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  // CloudFront is a global service signed in us-east-1.
  const cloudfront = new CloudFrontClient({
    region: "us-east-1",
    maxAttempts: 1,
    credentials,
    ...(cloudfrontEndpoint ? { endpoint: cloudfrontEndpoint } : {}),
  });
  const sts = new STSClient({
    region: stsRegion,
    maxAttempts: 1,
    credentials,
    ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
  });
  return {
    transport: cloudFrontTransport(cloudfront),
    callerIdentity: stsCallerIdentity(sts),
    close: () => {
      cloudfront.destroy();
      sts.destroy();
    },
  };
}
