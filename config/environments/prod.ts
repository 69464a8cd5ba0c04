import type { EnvironmentInput } from "../schema";
import { exampleAccount as account } from "./shared";

export const prod: EnvironmentInput = {
  name: "prod",
  protected: true,
  aws: {
    accountId: "333333333333",
    region: "eu-west-1",
    assumeRoleArn: "arn:aws:iam::333333333333:role/edgeplane-terraform",
    backend: { type: "s3", bucket: account.stateBucket, key: "edgeplane/prod.tfstate", region: "eu-west-1" },
  },
  akamai: { credentials: { source: "env", section: "EDGEPLANE_PROD" }, contractId: account.contractId, groupId: 100003 },
  purgeApiClient: {
    name: "edgeplane-prod-purge",
    description: "edgeplane purge and token runtime (prod)",
    authorizedUser: account.authorizedUser,
    apis: account.apis,
    groupAccess: { groupId: 100003, roleId: 9001 },
    cpCodes: [1000004, 1000005],
    purgeByTag: true,
    purgeByCpCode: true,
    ipAcl: [],
    notificationEmails: ["platform@example.com", "oncall@example.com"],
  },
  edgeKv: {
    namespaces: [
      {
        name: "site_config",
        network: "production",
        retentionSeconds: 0,
        geoLocation: "EU",
        groupId: 100003,
        groups: { flags: { "new-header": "on" } },
      },
      { name: "redirects", network: "production", retentionSeconds: 31_536_000, geoLocation: "EU", groupId: 100003 },
    ],
    tokens: [
      {
        namePrefix: "site-config-ro",
        namespacePermissions: { site_config: ["r"], redirects: ["r"] },
        allowOnStaging: true,
        allowOnProduction: true,
        edgeWorkerIds: [42003],
        deployTo: { edgeWorkerId: 42003, activateOnProduction: true },
      },
    ],
  },
  purgePolicy: {
    allowedHostnames: [...account.hostnames],
    allowedNetworks: ["staging", "production"],
    defaultAction: "invalidate",
    maxObjectsPerRequest: 50_000,
    maxRequestBytes: 4_000_000,
  },
  // Placeholder ids: one site behind several CDNs. Fastly and Cloudflare read their tokens from secrets the stack
  // creates empty; set them after the first deploy with `edgeplane secrets set --env prod --cdn fastly|cloudflare`.
  cdns: [
    { cdn: "akamai", hostnames: ["www.example.com"] },
    { cdn: "fastly", serviceId: "SU1Z0isxPaozGVKXdv0eY", hostnames: ["www.example.com"], softPurge: true },
    {
      cdn: "cloudflare",
      zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
      accountId: "01a7362d577a6c3019a474fd6f485823",
      plan: "enterprise",
      hostnames: ["www.example.com", "*.assets.example.com"],
    },
    {
      cdn: "cloudfront",
      distributionId: "E2QWRUHAPOMQZL",
      hostnames: ["static.example.com"],
      cacheTags: false,
      tagFallback: "reject",
    },
  ],
  rotation: { credentialSchedule: "rate(30 days)", tokenSchedule: "cron(0 6 * * ? *)", tokenExpiryThresholdDays: 45 },
  logRetentionDays: 90,
  alarms: { email: "oncall@example.com" },
  ciAccess: { ...account.github, allowedRefs: ["refs/heads/main"], allowedEnvironments: ["production"] },
};
