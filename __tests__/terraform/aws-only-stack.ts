/**
 * The AWS constructs of one environment in a stack with only the AWS provider, so real Terraform can
 * init, validate and plan them offline (the Akamai provider is not mirrored here). The bootstrap credential
 * comes from a sensitive variable: no value is written into the synthesized JSON.
 */
import { LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { EnvironmentConfig } from "../../config/schema";
import { AwsControlPlane } from "../../constructs/aws/aws-control-plane";

export class AwsOnlyStack extends TerraformStack {
  readonly controlPlane: AwsControlPlane;

  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, `aws-only-${env.name}`);
    new LocalBackend(this, { path: "terraform.tfstate" });
    new AwsProvider(this, "aws", {
      region: env.aws.region,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: "true",
      skipRegionValidation: true,
    });
    const bootstrap = new TerraformVariable(this, "bootstrap_credential", {
      type: "string",
      sensitive: true,
      description: "JSON of the API client's first credential (the real stack takes it from akamai_iam_api_client)",
    });
    this.controlPlane = new AwsControlPlane(this, "aws-control-plane", {
      env,
      bootstrapSecretString: bootstrap.stringValue,
      terraformCredentialId: "credential-created-by-terraform",
    });
  }
}
