import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { ENV } from "../../core/environment-names";
import type { NodejsFunction } from "./nodejs-function";

export interface EdgeGridSecretsProps {
  /** e.g. edgeplane/prod */
  secretPathPrefix: string;
  /** e.g. edgeplane-prod */
  namePrefix: string;
  /** JSON of the API client's first credential (Terraform references only; see PurgeApiClient). */
  bootstrapSecretString: string;
  protected: boolean;
  /** The stack's region: functions may decrypt with the key only through Secrets Manager there. */
  region: string;
}

/** Days a deleted secret can still be restored: the longest Secrets Manager allows for protected environments. */
export function secretRecoveryWindowDays(isProtected: boolean): number {
  return isProtected ? 30 : 7;
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
  private readonly region: string;

  constructor(scope: Construct, id: string, props: EdgeGridSecretsProps) {
    super(scope, id);
    this.recoveryWindowInDays = secretRecoveryWindowDays(props.protected);
    this.region = props.region;
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

  /**
   * Everything `fn` needs to read a credential, in one call: secretsmanager:GetSecretValue on that secret
   * only, kms:Decrypt of the key only through Secrets Manager, and the secret's ARN in the variable the
   * handler reads it from.
   * @param secret "rotating", the credential the runtime signs with (ENV.edgegridSecretArn); or "bootstrap",
   *   the one Terraform created (ENV.bootstrapSecretArn), which only rotation reads, to seed the first version.
   */
  grantRead(fn: NodejsFunction, secret: "rotating" | "bootstrap" = "rotating"): void {
    const [target, variable, name] =
      secret === "rotating"
        ? [this.rotatingSecret, ENV.edgegridSecretArn, "EdgeGridCredential"]
        : [this.bootstrapSecret, ENV.bootstrapSecretArn, "BootstrapCredential"];
    fn.addStatements(
      { sid: `Read${name}`, actions: ["secretsmanager:GetSecretValue"], resources: [target.arn] },
      { sid: `Decrypt${name}`, actions: ["kms:Decrypt"], resources: [this.key.arn], conditions: this.viaSecretsManager() },
    );
    fn.addEnvironment(variable, target.arn);
  }

  /**
   * Rotation wiring: `fn` may run the rotation protocol on the rotating secret (and read the bootstrap secret
   * to seed it), Secrets Manager may invoke `fn` for the rotating secret only, on `scheduleExpression`.
   */
  rotateWith(fn: NodejsFunction, scheduleExpression: string): SecretsmanagerSecretRotation {
    fn.addStatements(
      {
        sid: "RotateEdgeGridSecret",
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
        ],
        resources: [this.rotatingSecret.arn],
      },
      // New versions are encrypted with the key; kms:Decrypt comes with reading the bootstrap secret (same key).
      {
        sid: "EncryptNewVersions",
        actions: ["kms:GenerateDataKey"],
        resources: [this.key.arn],
        conditions: this.viaSecretsManager(),
      },
    );
    this.grantRead(fn, "bootstrap");
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

  private viaSecretsManager(): Record<string, Record<string, string>> {
    return { StringEquals: { "kms:ViaService": `secretsmanager.${this.region}.amazonaws.com` } };
  }
}
