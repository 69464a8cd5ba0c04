/**
 * Values every example environment shares (one Akamai account, one AWS organisation, one repository).
 * Placeholders: replace them with your own ids before deploying. Nothing here is a secret, and nothing
 * secret may ever be added: credentials come from an .edgerc file or environment variables.
 */
export const exampleAccount = {
  contractId: "ctr_1-EXAMPLE",
  /** IAM API ids of the services the runtime uses (GET /identity-management/v3/api-clients/self/allowed-apis). */
  apis: { ccuApiId: 5580, edgeKvApiId: 7002, edgeWorkersApiId: 7003, identityManagementApiId: 5442 },
  authorizedUser: "edgeplane-automation",
  github: { githubOrg: "example-org", githubRepo: "web-platform" },
  hostnames: ["www.example.com", "static.example.com", "*.assets.example.com"],
  stateBucket: "example-org-edgeplane-tfstate",
} as const;
