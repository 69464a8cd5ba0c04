/**
 * The purge worker's way to the CDN targets (core/jobs/cdn-send.ts CdnSendDeps.connect): Fastly and Cloudflare
 * with their token from the target's Secrets Manager secret (secrets-manager-cdn-token.ts), cached for
 * TOKEN_CACHE_MS, over fetch; CloudFront with the worker role's own credentials over fetch too
 * (cloudfront-fetch-transport.ts: SigV4-signed REST-XML, no CloudFront SDK client in the bundle). Tokens stay in
 * memory and in request headers.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { CdnRuntimeTarget } from "../../config/runtime-schema";
import { targetKey } from "../../config/runtime-schema";
import { fetchTransport } from "../../core/cdn/fetch-transport";
import type { CdnTransport } from "../../core/cdn/types";
import type { CdnConnection, NonAkamaiTarget } from "../../core/jobs/cdn-send";
import { providerForTarget } from "../../core/jobs/fan-out";
import { cloudFrontFetchTransport } from "./cloudfront-fetch-transport";

/** A token read from its secret is used this long before the secret is read again (a 401 reads it at once). */
export const TOKEN_CACHE_MS = 5 * 60_000;

export interface CdnConnectionsOptions {
  /** Reads a token secret's AWSCURRENT value (secretsManagerCdnTokenReader). */
  readToken: (secretArn: string) => Promise<string>;
  /** HTTP transport for Fastly and Cloudflare. Default fetchTransport() with the per-request timeout. */
  httpTransport?: CdnTransport;
  /** CloudFront transport. Default cloudFrontFetchTransport with the SDK's default credentials (env in Lambda). */
  cloudFrontTransport?: CdnTransport;
  /** For the providers' endpoint overrides, AWS_ENDPOINT_URL_CLOUDFRONT too (loopback only). Default process.env. */
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
  const cloudFrontHttp = (): CdnTransport => {
    // Refuses an endpoint override that is not loopback (and loopback without EDGEPLANE_INSECURE_LOOPBACK=1).
    cloudFront ??= cloudFrontFetchTransport({
      credentials: defaultProvider(),
      env,
      ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
    });
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
        transport: target.cdn === "cloudfront" ? cloudFrontHttp() : httpTransport(),
      };
      providers.set(key, { token, connection });
      return connection;
    },
    forget(target) {
      if (target.cdn !== "cloudfront") tokens.delete(target.tokenSecretArn);
    },
  };
}
