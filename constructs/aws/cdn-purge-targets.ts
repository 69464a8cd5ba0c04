import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import {
  awsPartition,
  cdnTokenSecretName,
  cdnTokenSecretOutputName,
  isTokenTarget,
  type TokenCdnTarget,
} from "../../config/cdn-token-secrets";
import { type CdnRuntimeTarget, type CdnTargetConfig, targetKey } from "../../config/runtime-schema";
import type { CdnTokenDeclaration } from "../../core/cdn/token-expiry";
import { ENV } from "../../core/environment-names";
import { secretRecoveryWindowDays } from "./edgegrid-secrets";
import type { NodejsFunction } from "./nodejs-function";

export interface CdnPurgeTargetsProps {
  /** config `name`: the secrets are edgeplane/<name>/cdn-token/<cdn>/<id>. */
  environmentName: string;
  accountId: string;
  /** The stack's region: functions may decrypt the tokens only through Secrets Manager there. */
  region: string;
  /** config `cdns`. */
  targets: CdnTargetConfig[];
  /** The environment's key (EdgeGridSecrets.key): it encrypts the token secrets too. */
  key: KmsKey;
  protected: boolean;
}

/**
 * The CDNs an environment purges beside (or instead of) Akamai, as the purge functions need them:
 * - a Secrets Manager secret per Fastly / Cloudflare target, encrypted with the environment's key and created
 *   WITHOUT a value: Terraform never holds a token; `edgeplane secrets set` writes it (README "CDN tokens");
 * - the runtime targets (config targets plus each token's secret ARN), handed to the functions as EDGEPLANE_CDNS;
 * - the CloudFront distribution ARNs the worker may invalidate (the role signs: no IAM user, no access keys);
 * - a stack output per secret, with its ARN.
 */
export class CdnPurgeTargets extends Construct {
  /** By target key (fastly:<serviceId>, cloudflare:<zoneId>). */
  readonly tokenSecrets: Record<string, SecretsmanagerSecret> = {};
  readonly runtimeTargets: CdnRuntimeTarget[];
  /** What the token job watches for expiry (EdgeKvTokenManager cdnTokens). */
  readonly tokenDeclarations: CdnTokenDeclaration[] = [];
  readonly distributionArns: string[];
  private readonly key: KmsKey;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: CdnPurgeTargetsProps) {
    super(scope, id);
    this.key = props.key;
    this.region = props.region;
    const partition = awsPartition(props.region);

    this.runtimeTargets = props.targets.map((target): CdnRuntimeTarget => {
      if (!isTokenTarget(target)) return target;
      const secret = this.tokenSecret(target, props);
      this.tokenDeclarations.push(
        target.cdn === "fastly"
          ? {
              cdn: "fastly",
              secretArn: secret.arn,
              serviceId: target.serviceId,
              ...(target.allowPurgeAll ? { purgeAll: true } : {}),
            }
          : {
              cdn: "cloudflare",
              secretArn: secret.arn,
              zoneId: target.zoneId,
              ...(target.accountId ? { accountId: target.accountId } : {}),
            },
      );
      return { ...target, tokenSecretArn: secret.arn };
    });
    this.distributionArns = props.targets.flatMap((t) =>
      t.cdn === "cloudfront" ? [`arn:${partition}:cloudfront::${props.accountId}:distribution/${t.distributionId}`] : [],
    );
  }

  /** The secrets' ARNs (Terraform references), in target order. */
  get secretArns(): string[] {
    return Object.values(this.tokenSecrets).map((s) => s.arn);
  }

  /** `fn` learns the targets (EDGEPLANE_CDNS): ids, hostnames, options and secret ARNs, never a token. */
  describeTo(fn: NodejsFunction): void {
    fn.addEnvironment(ENV.cdns, JSON.stringify(this.runtimeTargets));
  }

  /**
   * Everything `fn` needs to purge the targets: the targets (describeTo), secretsmanager:GetSecretValue on exactly
   * these token secrets with kms:Decrypt of the key only through Secrets Manager, and CreateInvalidation /
   * GetInvalidation on exactly the configured distributions.
   */
  grantPurge(fn: NodejsFunction): void {
    this.describeTo(fn);
    const secretArns = this.secretArns;
    if (secretArns.length > 0) {
      fn.addStatements(
        { sid: "ReadCdnTokens", actions: ["secretsmanager:GetSecretValue"], resources: secretArns },
        {
          sid: "DecryptCdnTokens",
          actions: ["kms:Decrypt"],
          resources: [this.key.arn],
          conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${this.region}.amazonaws.com` } },
        },
      );
    }
    if (this.distributionArns.length > 0) {
      fn.addStatements({
        sid: "InvalidateCloudFront",
        actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
        resources: this.distributionArns,
      });
    }
  }

  private tokenSecret(target: TokenCdnTarget, props: CdnPurgeTargetsProps): SecretsmanagerSecret {
    const id = target.cdn === "fastly" ? target.serviceId : target.zoneId;
    const name = cdnTokenSecretName(props.environmentName, target);
    const secret = new SecretsmanagerSecret(this, `${target.cdn}-${id}`, {
      name,
      description:
        `The ${target.cdn === "fastly" ? `Fastly API token for service ${id}` : `Cloudflare API token for zone ${id}`} (the token only). ` +
        `Terraform never writes it: set it with "edgeplane secrets set --env ${props.environmentName} --cdn ${target.cdn}".`,
      kmsKeyId: props.key.arn,
      recoveryWindowInDays: secretRecoveryWindowDays(props.protected),
    });
    // Stable addresses: the id is part of the target, so a target keeps its secret whatever the list order.
    secret.overrideLogicalId(`cdn_token_${target.cdn}_${id}`);
    this.tokenSecrets[targetKey(target)] = secret;
    const output = new TerraformOutput(this, `${target.cdn}-${id}-output`, {
      value: secret.arn,
      description: `ARN of ${name}, which holds the ${target.cdn} token (set with edgeplane secrets set)`,
    });
    output.overrideLogicalId(cdnTokenSecretOutputName(target));
    return secret;
  }
}
