import { Construct } from "constructs";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { EnvironmentConfig } from "../../config/schema";
import { policyDocument } from "./iam-policy";

export interface CiAccessProps {
  namePrefix: string;
  ci: EnvironmentConfig["ciAccess"];
  /** execute-api ARNs of this environment's purge routes: the only thing the role may call. */
  purgeRouteArns: string[];
}

const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * Lets GitHub Actions workflows of one repository purge this environment without holding any secret:
 * a GitHub OIDC provider (created, or referenced by ARN since an account has one per URL) and a role
 * trusted only for the configured refs and deployment environments, allowed only to invoke the purge routes.
 */
export class CiAccess extends Construct {
  readonly role: IamRole;
  readonly oidcProviderArn: string;

  constructor(scope: Construct, id: string, props: CiAccessProps) {
    super(scope, id);
    const { ci } = props;
    this.oidcProviderArn =
      ci.existingOidcProviderArn ??
      new IamOpenidConnectProvider(this, "github-oidc", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: ["sts.amazonaws.com"],
      }).arn;

    this.role = new IamRole(this, "role", {
      name: `${props.namePrefix}-ci-purge`,
      description: `GitHub Actions in ${ci.githubOrg}/${ci.githubRepo} may purge through the ${props.namePrefix} purge API`,
      maxSessionDuration: 3600,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: this.oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com" },
              StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: githubSubjects(ci) },
            },
          },
        ],
      }),
    });
    new IamRolePolicy(this, "policy", {
      name: "invoke-purge-routes",
      role: this.role.id,
      policy: policyDocument([{ sid: "InvokePurgeRoutes", actions: ["execute-api:Invoke"], resources: props.purgeRouteArns }]),
    });
  }
}

/** The `sub` claims GitHub issues for the allowed refs and deployment environments. */
export function githubSubjects(ci: EnvironmentConfig["ciAccess"]): string[] {
  const repo = `repo:${ci.githubOrg}/${ci.githubRepo}`;
  return [
    ...ci.allowedRefs.map((ref) => `${repo}:ref:${ref}`),
    ...ci.allowedEnvironments.map((env) => `${repo}:environment:${env}`),
  ];
}
