/**
 * The multi-CDN purge core: one provider per CDN (akamai, fastly, cloudflare, cloudfront), one runner.
 *
 *   const provider = createFastlyProvider({ serviceId, token, hostnames });
 *   const { validation, requests } = prepareCdnPurge(provider, objects, { jobId });
 *   const result = await runCdnRequests(provider, requests, { transport: fetchTransport(), clock });
 */
import type { CdnObjectInput, CdnProvider, CdnValidation, PlanContext, PlannedRequest } from "./types";

export * from "./types";
export { createAkamaiProvider, akamaiTransport, type AkamaiProviderConfig } from "./akamai";
export { createFastlyProvider, type FastlyConfig } from "./fastly";
export { createCloudflareProvider, type CloudflareConfig, type CloudflarePlan, CLOUDFLARE_PLANS } from "./cloudflare";
export {
  createCloudFrontProvider,
  checkCloudFrontEndpointOverride,
  invalidationStatusRequest,
  readInvalidationStatus,
  type CloudFrontConfig,
} from "./cloudfront";
export { fetchTransport, CdnNetworkError } from "./fetch-transport";
export { runCdnRequests, sendStep, type CdnRequestOutcome, type CdnRunResult, type RunOptions, type StepResult } from "./runner";

export interface PreparedPurge {
  validation: CdnValidation;
  /** Every accepted object in exactly one request. */
  requests: PlannedRequest[];
}

/** Validate, then plan what was accepted. Rejections are in `validation.rejected`, each with a reason code. */
export function prepareCdnPurge(provider: CdnProvider, objects: readonly CdnObjectInput[], context?: PlanContext): PreparedPurge {
  const validation = provider.validate(objects);
  return { validation, requests: provider.plan(validation.accepted, context) };
}
export {
  checkFastlyCredential,
  checkCloudflareCredential,
  checkCloudFrontCredential,
  daysUntilExpiry,
  type CredentialCheck,
  type CredentialCheckStatus,
  type CredentialReport,
  type FastlyCredentialOptions,
  type CloudflareCredentialOptions,
  type CloudFrontCredentialOptions,
  type CallerIdentityAnswer,
} from "./credential-checks";
