import type { EnvironmentInput } from "../schema";
import { exampleAccount as account } from "./shared";

export const dev: EnvironmentInput = {
  name: "dev",
  protected: false,
  aws: { accountId: "111111111111", region: "eu-west-1", backend: { type: "local" } },
  akamai: {
    credentials: { source: "edgerc", path: "~/.edgerc", section: "edgeplane-dev" },
    contractId: account.contractId,
    groupId: 100001,
  },
  purgeApiClient: {
    name: "edgeplane-dev-purge",
    description: "edgeplane purge and token runtime (dev)",
    authorizedUser: account.authorizedUser,
    apis: account.apis,
    groupAccess: { groupId: 100001, roleId: 9001 },
    cpCodes: [1000001],
    purgeByTag: true,
    purgeByCpCode: false,
    ipAcl: [],
    notificationEmails: ["platform-dev@example.com"],
  },
  edgeKv: {
    namespaces: [{ name: "dev_config", network: "staging", retentionSeconds: 0, geoLocation: "US", groupId: 100001 }],
    tokens: [
      {
        namePrefix: "dev-config-ro",
        namespacePermissions: { dev_config: ["r"] },
        allowOnStaging: true,
        allowOnProduction: false,
        edgeWorkerIds: [42001],
      },
    ],
  },
  purgePolicy: {
    allowedHostnames: [...account.hostnames],
    allowedNetworks: ["staging"],
    defaultAction: "invalidate",
    maxObjectsPerRequest: 10_000,
    maxRequestBytes: 1_000_000,
  },
  rotation: { credentialSchedule: "rate(30 days)", tokenSchedule: "rate(1 day)", tokenExpiryThresholdDays: 30 },
  logRetentionDays: 14,
  alarms: { email: "platform-dev@example.com" },
  ciAccess: { ...account.github, allowedRefs: ["refs/heads/main"], allowedEnvironments: ["dev"] },
};
