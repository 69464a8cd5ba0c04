import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AkamaiProvider } from "../.gen/providers/akamai/provider";
import type { EnvironmentConfig } from "../config/schema";
import { AKAMAI_PROVIDER_CONSTRAINT, AKAMAI_PROVIDER_SOURCE } from "../providers/versions";
import { EdgeKvNamespaces } from "./akamai/edgekv-namespaces";
import { PurgeApiClient } from "./akamai/purge-api-client";
import { AwsControlPlane } from "./aws/aws-control-plane";

export interface EdgeStackProps {
  env: EnvironmentConfig;
}

/** One environment: its Akamai API client and EdgeKV namespaces, and its AWS control plane. Named edgeplane-<env>. */
export class EdgeStack extends TerraformStack {
  readonly apiClient: PurgeApiClient;
  readonly namespaces: EdgeKvNamespaces;
  readonly aws: AwsControlPlane;

  constructor(scope: Construct, props: EdgeStackProps) {
    const { env } = props;
    super(scope, `edgeplane-${env.name}`);
    configureBackend(this, env);

    new AwsProvider(this, "aws", {
      region: env.aws.region,
      allowedAccountIds: [env.aws.accountId],
      assumeRole: env.aws.assumeRoleArn ? [{ roleArn: env.aws.assumeRoleArn, sessionName: `edgeplane-${env.name}` }] : undefined,
      defaultTags: [{ tags: { project: "edgeplane", environment: env.name } }],
    });
    const credentials = env.akamai.credentials;
    // "env": the provider reads AKAMAI_<SECTION>_* variables for a non-default section (providers/akamai/NOTES.md).
    new AkamaiProvider(
      this,
      "akamai",
      credentials.source === "edgerc"
        ? { edgerc: credentials.path, configSection: credentials.section }
        : { configSection: credentials.section },
    );
    this.addOverride(`terraform.required_providers.akamai`, {
      source: AKAMAI_PROVIDER_SOURCE,
      version: AKAMAI_PROVIDER_CONSTRAINT,
    });

    this.apiClient = new PurgeApiClient(this, "purge-api-client", { client: env.purgeApiClient, protected: env.protected });
    this.namespaces = new EdgeKvNamespaces(this, "edgekv", { namespaces: env.edgeKv.namespaces, protected: env.protected });
    this.aws = new AwsControlPlane(this, "aws-control-plane", {
      env,
      bootstrapSecretString: this.apiClient.bootstrapSecretString,
      terraformCredentialId: this.apiClient.credentialId,
    });

    new TerraformOutput(this, "purge_api_url", {
      value: this.aws.purge.api.apiEndpoint,
      description: "POST /purge, GET /purge/{jobId} (AWS_IAM)",
    });
    new TerraformOutput(this, "ci_role_arn", { value: this.aws.ci.role.arn, description: "Role GitHub Actions assume to purge" });
  }
}

function configureBackend(stack: TerraformStack, env: EnvironmentConfig): void {
  const backend = env.aws.backend;
  if (backend.type === "local") {
    // Relative, so two checkouts synthesize the same bytes (the default is an absolute path).
    new LocalBackend(stack, { path: `terraform.edgeplane-${env.name}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: backend.key,
    region: backend.region ?? env.aws.region,
    encrypt: true,
    kmsKeyId: backend.kmsKeyId,
    assumeRole: env.aws.assumeRoleArn ? { roleArn: env.aws.assumeRoleArn } : undefined,
  });
  // S3-native state locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend has no typed option for it.
  s3.addOverride("use_lockfile", true);
}
