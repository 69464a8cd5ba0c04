import type { EnvironmentInput } from "../schema";
import { exampleAccount as account } from "./shared";

export const staging: EnvironmentInput = {
  name: "staging",
  protected: false,
  aws: {
    accountId: "222222222222",
    region: "eu-west-1",
    assumeRoleArn: "arn:aws:iam::222222222222:role/edgeplane-terraform",
    backend: { type: "s3", bucket: account.stateBucket, key: "edgeplane/staging.tfstate", region: "eu-west-1" },
  },
  akamai: { credentials: { source: "env", section: "EDGEPLANE_STAGING" }, contractId: account.contractId, groupId: 100002 },
  purgeApiClient: {
    name: "edgeplane-staging-purge",
    authorizedUser: account.authorizedUser,
    apis: account.apis,
    groupAccess: { groupId: 100002, roleId: 9001 },
    cpCodes: [1000002, 1000003],
    purgeByTag: true,
    purgeByCpCode: true,
    ipAcl: [],
    notificationEmails: ["platform@example.com"],
  },
  edgeKv: {
    namespaces: [
      {
        name: "site_config",
        network: "staging",
        retentionSeconds: 0,
        geoLocation: "US",
        groupId: 100002,
        groups: { flags: { "new-header": "on" } },
      },
    ],
    tokens: [
      {
        namePrefix: "site-config-ro",
        namespacePermissions: { site_config: ["r"] },
        allowOnStaging: true,
        allowOnProduction: false,
        edgeWorkerIds: [42002],
        deployTo: { edgeWorkerId: 42002, activateOnProduction: false },
      },
    ],
  },
  purgePolicy: {
    allowedHostnames: [...account.hostnames],
    allowedNetworks: ["staging"],
    defaultAction: "invalidate",
    maxObjectsPerRequest: 20_000,
    maxRequestBytes: 2_000_000,
  },
  // Placeholder distribution id. CloudFront needs no token: the purge worker's role may invalidate this distribution.
  cdns: [
    { cdn: "akamai", hostnames: ["www.example.com", "*.assets.example.com"] },
    { cdn: "cloudfront", distributionId: "E3STAGING0EXAMPLE", hostnames: ["static.example.com"], cacheTags: true },
  ],
  rotation: { credentialSchedule: "rate(30 days)", tokenSchedule: "cron(0 6 * * ? *)", tokenExpiryThresholdDays: 30 },
  logRetentionDays: 30,
  alarms: { email: "platform@example.com" },
  ciAccess: { ...account.github, allowedRefs: ["refs/heads/main"], allowedEnvironments: ["staging"] },
};
