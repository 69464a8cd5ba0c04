/**
 * Provider pins. cdktf.json's `terraformProviders` names the same constraints (a test keeps them equal);
 * the stacks write them into `required_providers`.
 */
export const AKAMAI_PROVIDER_SOURCE = "akamai/akamai";
export const AKAMAI_PROVIDER_CONSTRAINT = "~> 9.2";
/** The schema in providers/akamai/schema.json was taken from this release. */
export const AKAMAI_PROVIDER_SCHEMA_VERSION = "9.2.0";
export const AWS_PROVIDER_SOURCE = "hashicorp/aws";
/** Exactly the version @cdktf/provider-aws 20.1.0 is generated for. */
export const AWS_PROVIDER_VERSION = "5.100.0";
