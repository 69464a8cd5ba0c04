import { Construct } from "constructs";
import { ENV, METRICS_NAMESPACE } from "../../core/environment-names";
import type { EdgeGridSecrets } from "./edgegrid-secrets";
import { FunctionErrorsAlarm } from "./function-errors-alarm";
import { NodejsFunction } from "./nodejs-function";

export interface CredentialRotationProps {
  environmentName: string;
  namePrefix: string;
  region: string;
  secrets: EdgeGridSecrets;
  /** Id of the credential Terraform created: rotation deactivates it but never deletes it. */
  terraformCredentialId: string;
  /** Secrets Manager rotation schedule, e.g. rate(30 days). */
  scheduleExpression: string;
  alarmTopicArn: string;
  logRetentionDays: number;
}

/**
 * The Secrets Manager rotation Lambda for the EdgeGrid credential: it creates a new credential through the
 * IAM self-credentials API, tests it, promotes it, and deactivates old ones after an overlap.
 */
export class CredentialRotation extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: CredentialRotationProps) {
    super(scope, id);
    const { secrets } = props;
    const viaSecretsManager = { StringEquals: { "kms:ViaService": `secretsmanager.${props.region}.amazonaws.com` } };
    this.fn = new NodejsFunction(this, "function", {
      functionName: `${props.namePrefix}-rotate-credentials`,
      description: "Rotates the EdgeGrid credential (Secrets Manager rotation protocol)",
      entry: "functions/rotate-credentials/index.ts",
      logRetentionDays: props.logRetentionDays,
      timeoutSeconds: 120,
      // One rotation at a time: steps of two concurrent rotations must never interleave.
      reservedConcurrency: 1,
      environment: {
        [ENV.environmentName]: props.environmentName,
        [ENV.bootstrapSecretArn]: secrets.bootstrapSecret.arn,
        [ENV.terraformCredentialId]: props.terraformCredentialId,
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
        [ENV.serviceName]: "rotate-credentials",
      },
      statements: [
        {
          sid: "RotateEdgeGridSecret",
          actions: [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
          ],
          resources: [secrets.rotatingSecret.arn],
        },
        { sid: "ReadBootstrapCredential", actions: ["secretsmanager:GetSecretValue"], resources: [secrets.bootstrapSecret.arn] },
        {
          sid: "EncryptEdgeGridSecrets",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: [secrets.key.arn],
          conditions: viaSecretsManager,
        },
      ],
    });
    secrets.rotateWith(this.fn, props.scheduleExpression);
    new FunctionErrorsAlarm(this, "errors", { fn: this.fn, alarmTopicArn: props.alarmTopicArn });
  }
}
