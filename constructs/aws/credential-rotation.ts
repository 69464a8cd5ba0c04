import { Construct } from "constructs";
import { ENV } from "../../core/environment-names";
import type { EdgeGridSecrets } from "./edgegrid-secrets";
import { FunctionErrorsAlarm } from "./function-errors-alarm";
import { NodejsFunction } from "./nodejs-function";

export interface CredentialRotationProps {
  environmentName: string;
  namePrefix: string;
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
    this.fn = new NodejsFunction(this, "function", {
      functionName: `${props.namePrefix}-rotate-credentials`,
      description: "Rotates the EdgeGrid credential (Secrets Manager rotation protocol)",
      entry: "functions/rotate-credentials/index.ts",
      environmentName: props.environmentName,
      logRetentionDays: props.logRetentionDays,
      timeoutSeconds: 120,
      // One rotation at a time: steps of two concurrent rotations must never interleave.
      reservedConcurrency: 1,
      environment: { [ENV.terraformCredentialId]: props.terraformCredentialId },
    });
    // The secrets own their wiring: the rotation protocol's actions, the bootstrap secret, the invoke permission.
    secrets.rotateWith(this.fn, props.scheduleExpression);
    new FunctionErrorsAlarm(this, "errors", { fn: this.fn, alarmTopicArn: props.alarmTopicArn });
  }
}
