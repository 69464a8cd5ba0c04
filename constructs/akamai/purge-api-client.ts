import { Fn } from "cdktf";
import { Construct } from "constructs";
import { IamApiClient } from "../../.gen/providers/akamai/iam-api-client";
import type { EnvironmentConfig } from "../../config/schema";

export interface PurgeApiClientProps {
  client: EnvironmentConfig["purgeApiClient"];
  /** Protected environments refuse to destroy the client (its credentials would vanish with it). */
  protected: boolean;
}

/**
 * The Akamai API client the runtime signs with: "CCU APIs" READ-WRITE with the configured purge options,
 * EdgeKV and EdgeWorkers READ-WRITE, and CREDENTIAL-READ-WRITE on IAM so it can rotate its own credentials.
 *
 * The provider creates exactly one credential with the client and cannot rotate it (providers/akamai/NOTES.md).
 * The runtime rotates credentials and deactivates this first one, so Terraform ignores `credential`:
 * rotation never shows up as a diff, and nothing in `credential` can force a replacement.
 */
export class PurgeApiClient extends Construct {
  readonly client: IamApiClient;

  constructor(scope: Construct, id: string, props: PurgeApiClientProps) {
    super(scope, id);
    const { client } = props;
    this.client = new IamApiClient(this, "client", {
      clientName: client.name,
      clientDescription: client.description,
      clientType: "CLIENT",
      authorizedUsers: [client.authorizedUser],
      apiAccess: {
        allAccessibleApis: false,
        apis: [
          { apiId: client.apis.ccuApiId, accessLevel: "READ-WRITE" },
          { apiId: client.apis.edgeKvApiId, accessLevel: "READ-WRITE" },
          { apiId: client.apis.edgeWorkersApiId, accessLevel: "READ-WRITE" },
          { apiId: client.apis.identityManagementApiId, accessLevel: "CREDENTIAL-READ-WRITE" },
        ],
      },
      groupAccess: {
        cloneAuthorizedUserGroups: false,
        groups: [{ groupId: client.groupAccess.groupId, roleId: client.groupAccess.roleId }],
      },
      purgeOptions: {
        canPurgeByCacheTag: client.purgeByTag,
        canPurgeByCpCode: client.purgeByCpCode,
        cpCodeAccess:
          client.cpCodes === "all"
            ? { allCurrentAndNewCpCodes: true, cpCodes: [] }
            : { allCurrentAndNewCpCodes: false, cpCodes: client.cpCodes },
      },
      ipAcl: client.ipAcl.length > 0 ? { enable: true, cidr: client.ipAcl } : undefined,
      notificationEmails: client.notificationEmails,
      credential: { description: "bootstrap credential from Terraform; edgeplane rotates it" },
      lifecycle: { ignoreChanges: ["credential"], preventDestroy: props.protected },
    });
    this.client.overrideLogicalId("purge_api_client");
  }

  /**
   * JSON for the Terraform-owned bootstrap secret: the first credential. Only Terraform references appear
   * in the synthesized JSON; the values stay in state (sensitive) and in Secrets Manager.
   */
  get bootstrapSecretString(): string {
    return Fn.jsonencode({
      host: this.client.baseUrl,
      access_token: this.client.accessToken,
      client_token: this.client.credential.clientToken,
      client_secret: this.client.credential.clientSecret,
      credential_id: this.client.credential.credentialId,
    });
  }

  get credentialId(): string {
    return Fn.tostring(this.client.credential.credentialId);
  }
}
