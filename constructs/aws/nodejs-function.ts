import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./iam-policy";
import { bundleLambda } from "./lambda-bundle";

export interface NodejsFunctionProps {
  /** Full function name, e.g. edgeplane-prod-purge-api. */
  functionName: string;
  description: string;
  /** Entry file relative to the project root, e.g. functions/purge-api/index.ts (exports `handler`). */
  entry: string;
  /** What the function may do besides writing its own logs; actions listed one by one, on ARNs. */
  statements: PolicyStatement[];
  environment?: Record<string, string>;
  memorySize?: number;
  timeoutSeconds?: number;
  reservedConcurrency?: number;
  logRetentionDays: number;
}

/** A TypeScript Lambda bundled with esbuild at synth: nodejs22.x on arm64, JSON logs into its own log group. */
export class NodejsFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    this.functionName = props.functionName;
    const bundle = bundleLambda(props.entry);
    const asset = new TerraformAsset(this, "code", { path: bundle.zipPath, type: AssetType.FILE, assetHash: bundle.sha256Base64.replace(/[^A-Za-z0-9]/g, "").slice(0, 32) });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Runs ${props.functionName}`,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    });
    this.policy = new IamRolePolicy(this, "policy", {
      name: "least-privilege",
      role: this.role.id,
      policy: policyDocument([
        { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${this.logGroup.arn}:*`] },
        ...props.statements,
      ]),
    });

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: bundle.sha256Base64,
      role: this.role.arn,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeoutSeconds ?? 30,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: props.environment ? { variables: props.environment } : undefined,
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      dependsOn: [this.logGroup],
    });
  }
}
