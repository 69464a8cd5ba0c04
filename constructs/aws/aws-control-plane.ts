import { Construct } from "constructs";
import type { EnvironmentConfig } from "../../config/schema";
import { AlarmTopic } from "./alarm-topic";
import { CdnPurgeTargets } from "./cdn-purge-targets";
import { CiAccess } from "./ci-access";
import { CredentialRotation } from "./credential-rotation";
import { EdgeGridSecrets } from "./edgegrid-secrets";
import { EdgeKvTokenManager } from "./edgekv-token-manager";
import { PurgeService } from "./purge-service";

export interface AwsControlPlaneProps {
  env: EnvironmentConfig;
  /** JSON of the API client's first credential (Terraform references), for the bootstrap secret. */
  bootstrapSecretString: string;
  /** Id of that credential, which rotation must never delete. */
  terraformCredentialId: string;
}

/** Everything an environment runs on AWS: secrets, purge service, rotation, token manager, CI access, alarms. */
export class AwsControlPlane extends Construct {
  readonly secrets: EdgeGridSecrets;
  /** Present when the environment configures `cdns`. */
  readonly cdns?: CdnPurgeTargets;
  readonly purge: PurgeService;
  readonly rotation: CredentialRotation;
  readonly tokens: EdgeKvTokenManager;
  readonly ci: CiAccess;

  constructor(scope: Construct, id: string, props: AwsControlPlaneProps) {
    super(scope, id);
    const { env } = props;
    const namePrefix = `edgeplane-${env.name}`;
    const common = { environmentName: env.name, namePrefix, logRetentionDays: env.logRetentionDays };

    const alarms = new AlarmTopic(this, "alarms", {
      namePrefix,
      email: env.alarms.email,
      existingTopicArn: env.alarms.snsTopicArn,
    });
    this.secrets = new EdgeGridSecrets(this, "edgegrid-secrets", {
      namePrefix,
      secretPathPrefix: `edgeplane/${env.name}`,
      bootstrapSecretString: props.bootstrapSecretString,
      protected: env.protected,
      region: env.aws.region,
    });
    if (env.cdns) {
      this.cdns = new CdnPurgeTargets(this, "cdns", {
        environmentName: env.name,
        accountId: env.aws.accountId,
        region: env.aws.region,
        targets: env.cdns,
        key: this.secrets.key,
        protected: env.protected,
      });
    }
    this.purge = new PurgeService(this, "purge", {
      ...common,
      purgePolicy: env.purgePolicy,
      secrets: this.secrets,
      alarmTopicArn: alarms.topicArn,
      protected: env.protected,
      ...(this.cdns ? { cdns: this.cdns } : {}),
    });
    this.rotation = new CredentialRotation(this, "rotation", {
      ...common,
      secrets: this.secrets,
      terraformCredentialId: props.terraformCredentialId,
      scheduleExpression: env.rotation.credentialSchedule,
      alarmTopicArn: alarms.topicArn,
    });
    this.tokens = new EdgeKvTokenManager(this, "edgekv-tokens", {
      ...common,
      accountId: env.aws.accountId,
      region: env.aws.region,
      tokens: env.edgeKv.tokens,
      scheduleExpression: env.rotation.tokenSchedule,
      expiryThresholdDays: env.rotation.tokenExpiryThresholdDays,
      secrets: this.secrets,
      alarmTopicArn: alarms.topicArn,
      cdnTokens: this.cdns?.tokenDeclarations ?? [],
    });
    this.ci = new CiAccess(this, "ci", { namePrefix, ci: env.ciAccess, purgeRouteArns: this.purge.routeArns });
  }
}
