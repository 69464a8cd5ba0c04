/**
 * The AWS SDK side of the CloudFront credential check: STS GetCallerIdentity as a plain answer, and the two clients
 * a caller (the CLI) needs, created after refusing endpoint overrides that do not point at the loopback sandbox.
 * The SDK reads AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_CLOUDFRONT / AWS_ENDPOINT_URL by itself, so the check has to
 * come first (same rule as endpoint.ts: only http://127.0.0.1:PORT or localhost, only with EDGEPLANE_INSECURE_LOOPBACK=1).
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { checkCloudFrontEndpointOverride } from "./cloudfront";
import { cloudFrontTransport, sdkErrorAnswer } from "./cloudfront-sdk";
import type { CallerIdentityAnswer } from "./credential-checks";
import { resolveApiBaseUrl } from "./endpoint";
import type { CdnAnswer, CdnTransport } from "./types";

export const STS_ENDPOINT_ENVS = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] as const;

/** Refuses AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL unless they point at the loopback sandbox with the opt-in. */
export function checkStsEndpointOverride(env: Record<string, string | undefined> = process.env): void {
  for (const name of STS_ENDPOINT_ENVS) resolveApiBaseUrl("https://sts.amazonaws.com", name, env);
}

export function stsCallerIdentity(client: Pick<STSClient, "send">): () => Promise<CallerIdentityAnswer> {
  return async () => {
    try {
      const out = await client.send(new GetCallerIdentityCommand({}));
      return { kind: "identity", account: out.Account ?? "?", arn: out.Arn ?? "?" };
    } catch (error) {
      const answer = sdkErrorAnswer(error) as Extract<CdnAnswer, { kind: "cloudfrontError" }>;
      return {
        kind: "error",
        name: answer.name,
        message: answer.message,
        ...(answer.httpStatus === undefined ? {} : { httpStatus: answer.httpStatus }),
      };
    }
  };
}

export interface CloudFrontCheckClients {
  callerIdentity: () => Promise<CallerIdentityAnswer>;
  /** For the probe (CreateInvalidation). */
  transport: CdnTransport;
  close(): void;
}

/**
 * STS and CloudFront clients on the SDK credential chain, one attempt each (a check is not retried). STS uses
 * AWS_REGION when set (regional endpoint), else us-east-1; CloudFront is global (us-east-1).
 */
export function createCloudFrontCheckClients(env: Record<string, string | undefined> = process.env): CloudFrontCheckClients {
  checkStsEndpointOverride(env);
  checkCloudFrontEndpointOverride(env);
  const sts = new STSClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1", maxAttempts: 1 });
  const cloudfront = new CloudFrontClient({ region: "us-east-1", maxAttempts: 1 });
  return {
    callerIdentity: stsCallerIdentity(sts),
    transport: cloudFrontTransport(cloudfront),
    close: () => {
      sts.destroy();
      cloudfront.destroy();
    },
  };
}
