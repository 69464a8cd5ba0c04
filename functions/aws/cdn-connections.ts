/**
 * The purge worker's way to the CDN targets (core/jobs/cdn-send.ts CdnSendDeps.connect): Fastly and Cloudflare
 * with their token from the target's Secrets Manager secret (secrets-manager-cdn-token.ts), cached for
 * TOKEN_CACHE_MS, over fetch; CloudFront with the worker role's own credentials through @aws-sdk/client-cloudfront
 * (only CreateInvalidation and GetInvalidation are bundled). Tokens stay in memory and in request headers.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { CdnRuntimeTarget } from "../../config/runtime-schema";
import { targetKey } from "../../config/runtime-schema";
import { checkCloudFrontEndpointOverride } from "../../core/cdn/cloudfront";
import { cloudFrontTransport } from "../../core/cdn/cloudfront-sdk";
import { fetchTransport } from "../../core/cdn/fetch-transport";
import type { CdnTransport } from "../../core/cdn/types";
import type { CdnConnection, NonAkamaiTarget } from "../../core/jobs/cdn-send";
import { providerForTarget } from "../../core/jobs/fan-out";

/** A token read from its secret is used this long before the secret is read again (a 401 reads it at once). */
export const TOKEN_CACHE_MS = 5 * 60_000;

export interface CdnConnectionsOptions {
  /** Reads a token secret's AWSCURRENT value (secretsManagerCdnTokenReader). */
  readToken: (secretArn: string) => Promise<string>;
  /** HTTP transport for Fastly and Cloudflare. Default fetchTransport() with the per-request timeout. */
  httpTransport?: CdnTransport;
  /** CloudFront transport. Default the SDK client (maxAttempts 1: the worker owns retries). */
  cloudFrontTransport?: CdnTransport;
  /** For the providers' and the SDK's endpoint overrides (loopback only). Default process.env. */
  env?: Record<string, string | undefined>;
  now?: () => number;
  requestTimeoutMs?: number;
}

export interface CdnConnections {
  connect(target: NonAkamaiTarget): Promise<CdnConnection>;
  forget(target: NonAkamaiTarget): void;
}

export function cdnConnections(options: CdnConnectionsOptions): CdnConnections {
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const tokens = new Map<string, { token: string; readAt: number }>();
  const providers = new Map<string, { token: string | undefined; connection: CdnConnection }>();
  let http: CdnTransport | undefined = options.httpTransport;
  let cloudFront: CdnTransport | undefined = options.cloudFrontTransport;

  const httpTransport = (): CdnTransport => {
    http ??= fetchTransport(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {});
    return http;
  };
  const cloudFrontSdk = (): CdnTransport => {
    if (cloudFront === undefined) {
      // Refuses an endpoint override that is not loopback (and loopback without EDGEPLANE_INSECURE_LOOPBACK=1).
      checkCloudFrontEndpointOverride(env);
      // CloudFront's API is global and signed for us-east-1 whatever the function's region (the SDK's endpoint
      // rules do the same for the default endpoint; an endpoint override would otherwise sign for AWS_REGION).
      cloudFront = cloudFrontTransport(new CloudFrontClient({ region: "us-east-1", maxAttempts: 1 }));
    }
    return cloudFront;
  };

  const tokenFor = async (target: Extract<CdnRuntimeTarget, { tokenSecretArn: string }>): Promise<string> => {
    const cached = tokens.get(target.tokenSecretArn);
    if (cached !== undefined && now() - cached.readAt < TOKEN_CACHE_MS) return cached.token;
    const token = await options.readToken(target.tokenSecretArn);
    tokens.set(target.tokenSecretArn, { token, readAt: now() });
    return token;
  };

  return {
    async connect(target) {
      const key = targetKey(target);
      const token = target.cdn === "cloudfront" ? undefined : await tokenFor(target);
      const known = providers.get(key);
      if (known !== undefined && known.token === token) return known.connection;
      const connection: CdnConnection = {
        provider: providerForTarget(target, token, env),
        transport: target.cdn === "cloudfront" ? cloudFrontSdk() : httpTransport(),
      };
      providers.set(key, { token, connection });
      return connection;
    },
    forget(target) {
      if (target.cdn !== "cloudfront") tokens.delete(target.tokenSecretArn);
    },
  };
}
