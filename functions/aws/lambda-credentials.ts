/**
 * What the Lambda bundles use in place of `@aws-sdk/credential-provider-node` (esbuild alias in
 * constructs/aws/lambda-bundle.ts). Lambda gives every function its role's credentials in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the SDK's default chain only ever
 * takes its first link there, the environment. The other links (SSO, ini files, web identity, IMDS, …)
 * and the STS/SSO clients they carry are ~130 KiB of every minified bundle that never runs.
 * Local runs (tsx, jest, the sandbox) do not bundle and keep the SDK's full chain.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

/** Same name and call shape as the SDK's default provider, which the clients' runtime config imports. */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
