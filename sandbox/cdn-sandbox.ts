/**
 * The Fastly, Cloudflare and CloudFront emulators as `npm run sandbox` starts them: each with a throwaway
 * credential made at start, and a printout of the environment lines that point edgeplane (and the AWS SDK)
 * at them. The credentials work against these emulator processes only and die with them.
 */
import { randomBytes, randomInt } from "node:crypto";
import { startCloudFrontEmulator, type CloudFrontEmulator } from "./cloudfront";
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflarePlan } from "./cloudflare";
import { startFastlyEmulator, type FastlyEmulator } from "./fastly";

export const CDN_EMULATORS = ["fastly", "cloudflare", "cloudfront"] as const;
export type CdnEmulatorName = (typeof CDN_EMULATORS)[number];

export interface CdnSandboxOptions {
  /** Which emulators to start; default all three. */
  only?: readonly CdnEmulatorName[];
  timeScale?: number;
  /** The Cloudflare zone's plan (default "pro"). */
  cloudflarePlan?: CloudflarePlan;
}

export interface ThrowawayCredentials {
  fastly: { serviceId: string; token: string; scope: string };
  cloudflare: { zoneId: string; accountId: string; token: string; plan: CloudflarePlan };
  cloudfront: { distributionId: string; accountId: string; accessKeyId: string; secretAccessKey: string };
}

export interface CdnSandboxes {
  fastly?: FastlyEmulator;
  cloudflare?: CloudflareEmulator;
  cloudfront?: CloudFrontEmulator;
  credentials: ThrowawayCredentials;
  close(): Promise<void>;
}

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM = `${UPPER_ALNUM}abcdefghijklmnopqrstuvwxyz`;
const randomFrom = (alphabet: string, length: number): string =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");

export function throwawayCredentials(plan: CloudflarePlan): ThrowawayCredentials {
  return {
    fastly: {
      serviceId: randomFrom(ALNUM, 22),
      token: `sandbox-fastly-${randomBytes(16).toString("hex")}`,
      scope: "purge_select purge_all",
    },
    cloudflare: {
      zoneId: randomBytes(16).toString("hex"),
      accountId: randomBytes(16).toString("hex"),
      token: `sandbox-cloudflare-${randomBytes(16).toString("hex")}`,
      plan,
    },
    cloudfront: {
      distributionId: `E${randomFrom(UPPER_ALNUM, 13)}`,
      accountId: String(randomInt(100_000_000_000, 999_999_999_999)),
      accessKeyId: `AKIA${randomFrom(UPPER_ALNUM, 16)}`,
      secretAccessKey: randomBytes(30).toString("base64"),
    },
  };
}

export async function startCdnSandboxes(options: CdnSandboxOptions = {}): Promise<CdnSandboxes> {
  const only = new Set(options.only ?? CDN_EMULATORS);
  const credentials = throwawayCredentials(options.cloudflarePlan ?? "pro");
  const timeScale = options.timeScale ?? 1;
  const started: CdnSandboxes = {
    credentials,
    close: async () => {
      await Promise.all([started.fastly?.close(), started.cloudflare?.close(), started.cloudfront?.close()]);
    },
  };
  try {
    if (only.has("fastly")) {
      started.fastly = await startFastlyEmulator({
        services: [{ id: credentials.fastly.serviceId }],
        tokens: [
          {
            token: credentials.fastly.token,
            scope: credentials.fastly.scope,
            services: [credentials.fastly.serviceId],
            name: "edgeplane sandbox",
          },
        ],
        timeScale,
      });
    }
    if (only.has("cloudflare")) {
      const cf = credentials.cloudflare;
      started.cloudflare = await startCloudflareEmulator({
        zones: [{ id: cf.zoneId, plan: cf.plan, accountId: cf.accountId }],
        tokens: [{ token: cf.token, kind: "user", purgeZones: [cf.zoneId] }],
        timeScale,
      });
    }
    if (only.has("cloudfront")) {
      const aws = credentials.cloudfront;
      started.cloudfront = await startCloudFrontEmulator({
        distributions: [{ id: aws.distributionId }],
        credentials: [
          {
            accessKeyId: aws.accessKeyId,
            secretAccessKey: aws.secretAccessKey,
            accountId: aws.accountId,
            distributionIds: [aws.distributionId],
          },
        ],
        timeScale,
      });
    }
  } catch (error) {
    await started.close();
    throw error;
  }
  return started;
}

/** The printout: a comment per emulator and the `export` lines a shell can take as they are. */
export function cdnPrintout(sandboxes: CdnSandboxes): string {
  const { credentials: c } = sandboxes;
  const lines: string[] = [];
  if (sandboxes.fastly) {
    lines.push(
      `# Fastly emulator on ${sandboxes.fastly.url}: service ${c.fastly.serviceId}, token scope "${c.fastly.scope}" limited to that service`,
      `export EDGEPLANE_FASTLY_API_URL=${sandboxes.fastly.url}`,
      `export FASTLY_API_TOKEN=${c.fastly.token}`,
      "",
    );
  }
  if (sandboxes.cloudflare) {
    lines.push(
      `# Cloudflare emulator on ${sandboxes.cloudflare.url}: zone ${c.cloudflare.zoneId} (plan ${c.cloudflare.plan}), account ${c.cloudflare.accountId},`,
      "# a user token with Cache Purge on that zone",
      `export EDGEPLANE_CLOUDFLARE_API_URL=${sandboxes.cloudflare.url}/client/v4`,
      `export CLOUDFLARE_API_TOKEN=${c.cloudflare.token}`,
      "",
    );
  }
  if (sandboxes.cloudfront) {
    lines.push(
      `# CloudFront + STS emulator on ${sandboxes.cloudfront.url}: distribution ${c.cloudfront.distributionId}, account ${c.cloudfront.accountId},`,
      "# dummy AWS keys allowed cloudfront:CreateInvalidation/GetInvalidation/ListInvalidations on that distribution only",
      `export AWS_ENDPOINT_URL_CLOUDFRONT=${sandboxes.cloudfront.url}`,
      `export AWS_ENDPOINT_URL_STS=${sandboxes.cloudfront.url}`,
      `export AWS_ACCESS_KEY_ID=${c.cloudfront.accessKeyId}`,
      `export AWS_SECRET_ACCESS_KEY=${c.cloudfront.secretAccessKey}`,
      "export AWS_REGION=us-east-1",
      "",
    );
  }
  return lines.join("\n");
}
