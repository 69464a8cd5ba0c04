import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { ENV, METRICS_NAMESPACE } from "../../core/environment-names";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./iam-policy";
import { bundleLambda } from "./lambda-bundle";

export interface NodejsFunctionProps {
  /** Full function name, e.g. edgeplane-prod-purge-api. */
  functionName: string;
  description: string;
  /** Entry file relative to the project root, functions/<service>/index.ts (exports `handler`). */
  entry: string;
  /** The environment's name (config `name`), given to the function with the rest of the common environment. */
  environmentName: string;
  timeoutSeconds: number;
  logRetentionDays: number;
  /**
   * What the function may do besides writing its own logs; actions listed one by one, on ARNs. More can be
   * added later with addStatements (e.g. by EdgeGridSecrets.grantRead).
   * @default [] (only its own logs)
   */
  statements?: PolicyStatement[];
  /**
   * Variables beyond the common ones (environment name, service name, metrics namespace), which every
   * function gets. More can be added later with addEnvironment.
   * @default {}
   */
  environment?: Record<string, string>;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default none: the function shares the account's unreserved concurrency
   */
  reservedConcurrency?: number;
}

/** Memory of every function: plenty for JSON work and TLS, and the smallest size that gets a fair CPU share. */
const MEMORY_MB = 256;

/**
 * A TypeScript Lambda bundled with esbuild at synth: nodejs22.x on arm64, JSON logs into its own log group,
 * a role that may do only what its statements list, and the environment every handler reads: the
 * environment's name, the service name (the entry's folder: Powertools' service) and the metrics namespace.
 */
export class NodejsFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;
  /** functions/<service>/index.ts -> <service> */
  readonly serviceName: string;
  private readonly statements: PolicyStatement[];
  private readonly variables: Record<string, string>;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const service = /^functions\/([^/]+)\/index\.ts$/.exec(props.entry);
    if (!service)
      throw new Error(`NodejsFunction ${props.functionName}: entry must be functions/<service>/index.ts, got ${props.entry}`);
    this.serviceName = service[1]!;
    this.functionName = props.functionName;
    const bundle = bundleLambda(props.entry);
    const asset = new TerraformAsset(this, "code", {
      path: bundle.zipPath,
      type: AssetType.FILE,
      assetHash: bundle.sha256Base64.replace(/[^A-Za-z0-9]/g, "").slice(0, 32),
    });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Runs ${props.functionName}`,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    });
    this.statements = [
      { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${this.logGroup.arn}:*`] },
    ];
    this.policy = new IamRolePolicy(this, "policy", {
      name: "least-privilege",
      role: this.role.id,
      policy: policyDocument(this.statements),
    });

    this.variables = {
      [ENV.environmentName]: props.environmentName,
      [ENV.serviceName]: this.serviceName,
      [ENV.metricsNamespace]: METRICS_NAMESPACE,
    };
    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: bundle.sha256Base64,
      role: this.role.arn,
      memorySize: MEMORY_MB,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { variables: this.variables },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      dependsOn: [this.logGroup],
    });
    this.addStatements(...(props.statements ?? []));
    for (const [name, value] of Object.entries(props.environment ?? {})) this.addEnvironment(name, value);
  }

  /** Allows more actions; each is checked for least privilege (no `*` actions, ARNs only) and Sids stay unique. */
  addStatements(...statements: PolicyStatement[]): void {
    for (const statement of statements) {
      if (this.statements.some((s) => s.sid === statement.sid))
        throw new Error(`${this.functionName}: policy statement ${statement.sid} is already there`);
      this.statements.push(statement);
    }
    this.policy.policy = policyDocument(this.statements);
  }

  /** Sets a variable; setting one twice to different values is a wiring mistake and throws. */
  addEnvironment(name: string, value: string): void {
    const current = this.variables[name];
    if (current !== undefined && current !== value)
      throw new Error(`${this.functionName}: environment variable ${name} is already set to another value`);
    this.variables[name] = value;
    this.function.putEnvironment({ variables: { ...this.variables } });
  }
}
