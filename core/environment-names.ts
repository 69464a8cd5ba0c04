/**
 * Names of the environment variables the stacks give the Lambda functions: one list, read by both the
 * constructs (which set them) and the handlers (which read them). Values are names and ARNs, never secrets.
 */
export const ENV = {
  environmentName: "EDGEPLANE_ENVIRONMENT",
  jobsTable: "EDGEPLANE_JOBS_TABLE",
  purgeQueueUrl: "EDGEPLANE_PURGE_QUEUE_URL",
  /** The purge queue's DLQ: the worker moves a batch it has given up on there itself. */
  purgeDeadLetterQueueUrl: "EDGEPLANE_PURGE_DLQ_URL",
  /** JSON of the environment's purge policy (allowed hosts, networks, default action, limits). */
  purgePolicy: "EDGEPLANE_PURGE_POLICY",
  /** The rotating secret: AWSCURRENT holds the EdgeGrid credential the runtime signs with. */
  edgegridSecretArn: "EDGEPLANE_EDGEGRID_SECRET_ARN",
  /** Terraform's first credential, read only when the rotating secret has no version yet. */
  bootstrapSecretArn: "EDGEPLANE_BOOTSTRAP_SECRET_ARN",
  /** Id of the credential Terraform created: rotation only ever deactivates it, never deletes it. */
  terraformCredentialId: "EDGEPLANE_TERRAFORM_CREDENTIAL_ID",
  /** JSON list of the declared EdgeKV tokens. */
  edgekvTokens: "EDGEPLANE_EDGEKV_TOKENS",
  /** JSON list of the environment's CDN tokens to watch (core/cdn/token-expiry.ts): ids and secret ARNs, never tokens. */
  cdnTokens: "EDGEPLANE_CDN_TOKENS",
  /**
   * JSON of the CDNs the purge functions purge (config/runtime-schema.ts cdnRuntimeTargetsSchema): ids, hostnames,
   * options and token secret ARNs, never tokens. Set only when the environment configures `cdns`; absent = Akamai
   * alone, serving the purge policy's hostnames.
   */
  cdns: "EDGEPLANE_CDNS",
  tokensBucket: "EDGEPLANE_TOKENS_BUCKET",
  tokenExpiryThresholdDays: "EDGEPLANE_TOKEN_EXPIRY_THRESHOLD_DAYS",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  serviceName: "POWERTOOLS_SERVICE_NAME",
} as const;

export const METRICS_NAMESPACE = "edgeplane";
/** Metric the token manager emits per token; the stack alarms on it. */
export const TOKEN_DAYS_TO_EXPIRY_METRIC = "EdgeKvTokenDaysToExpiry";
/** Metric the token manager emits per CDN token (Fastly, Cloudflare) under {environment, cdn}; the stack alarms per CDN. */
export const CDN_TOKEN_DAYS_TO_EXPIRY_METRIC = "CdnTokenDaysToExpiry";

/**
 * A setting the stack always gives the function; missing (or blank) means a broken deployment, so say which.
 * Every handler reads its settings through this.
 */
export function requiredEnv(name: string, env: Record<string, string | undefined> = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`environment variable ${name} is not set; the stack sets it for this function`);
  return value;
}
