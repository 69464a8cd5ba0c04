import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { NodejsFunction } from "./nodejs-function";

export interface EdgeGridSecretsProps {
  /** e.g. edgeplane/prod */
  secretPathPrefix: string;
  /** e.g. edgeplane-prod */
  namePrefix: string;
  /** JSON of the API client's first credential (Terraform references only; see PurgeApiClient). */
  bootstrapSecretString: string;
  protected: boolean;
}

/**
 * Where the EdgeGrid credential lives:
 * - a KMS key (rotation on) that encrypts both secrets;
 * - the bootstrap secret, owned by Terraform, holding the credential Terraform created;
 * - the rotating secret, which Terraform never writes a version to. The rotation Lambda fills it (from the
 *   bootstrap secret the first time) and rotates it, so Terraform can never put a stale credential back.
 */
export class EdgeGridSecrets extends Construct {
  readonly key: KmsKey;
  readonly bootstrapSecret: SecretsmanagerSecret;
  readonly rotatingSecret: SecretsmanagerSecret;
  private readonly recoveryWindowInDays: number;

  constructor(scope: Construct, id: string, props: EdgeGridSecretsProps) {
    super(scope, id);
    this.recoveryWindowInDays = props.protected ? 30 : 7;
    // No key policy here: AWS's default policy delegates to IAM, and each role gets only the KMS actions it uses.
    this.key = new KmsKey(this, "key", {
      description: `${props.namePrefix}: encrypts the EdgeGrid credential secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    this.key.overrideLogicalId("edgegrid");
    new KmsAlias(this, "alias", { name: `alias/${props.namePrefix}-edgegrid`, targetKeyId: this.key.keyId });

    this.bootstrapSecret = new SecretsmanagerSecret(this, "bootstrap", {
      name: `${props.secretPathPrefix}/edgegrid-bootstrap`,
      description: "The EdgeGrid credential Terraform created with the API client. Read once, to seed rotation.",
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    this.bootstrapSecret.overrideLogicalId("edgegrid_bootstrap");
    new SecretsmanagerSecretVersion(this, "bootstrap-version", {
      secretId: this.bootstrapSecret.id,
      secretString: props.bootstrapSecretString,
    });

    this.rotatingSecret = new SecretsmanagerSecret(this, "rotating", {
      name: `${props.secretPathPrefix}/edgegrid`,
      description: "The EdgeGrid credential the runtime signs with (AWSCURRENT). Written only by the rotation Lambda.",
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    this.rotatingSecret.overrideLogicalId("edgegrid_rotating");
  }

  /** Rotation wiring: Secrets Manager may invoke `fn` for the rotating secret only, on `scheduleExpression`. */
  rotateWith(fn: NodejsFunction, scheduleExpression: string): SecretsmanagerSecretRotation {
    const permission = new LambdaPermission(this, "rotation-invoke", {
      statementId: "AllowSecretsManagerRotation",
      action: "lambda:InvokeFunction",
      functionName: fn.function.functionName,
      principal: "secretsmanager.amazonaws.com",
      sourceArn: this.rotatingSecret.arn,
    });
    return new SecretsmanagerSecretRotation(this, "rotation", {
      secretId: this.rotatingSecret.id,
      rotationLambdaArn: fn.function.arn,
      rotationRules: { scheduleExpression },
      dependsOn: [permission],
    });
  }
}
