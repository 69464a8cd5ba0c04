/**
 * Scheduled reconcile of the environment's EdgeKV tokens (core/tokens/reconcile.ts). Thin: read
 * the event and settings, sign with the rotating secret's current EdgeGrid credential, reconcile, log a
 * summary (names and counts, never token values). Problems fail the invocation after the rest of the run
 * is done, which raises the function's error alarm; the next scheduled run carries on from the APIs.
 * A failed EdgeWorker activation is a note, retried by later runs, until its tries run out (then a problem
 * and the rotation-stalled metric); README "When a token rotation fails".
 *
 * The scheduled reconcile also checks the environment's CDN tokens (EDGEPLANE_CDN_TOKENS: Fastly, Cloudflare; each
 * read from its secret, never logged) and reports their days to expiry (core/cdn/token-expiry.ts); a failed check
 * is a problem of the run, like a failed reconcile step, and does not stop the EdgeKV work.
 *
 * Events: {"action":"reconcile"} (the schedule), {"action":"rotate","token":"<prefix>"},
 * {"action":"refresh","token":"<name|prefix>"}, {"action":"revoke","token":"<name>","force"?:true},
 * {"action":"resume","token":"<prefix>"} (try a stalled activation now, with a fresh count of tries).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
// The bundle aliases this to the environment-only provider (functions/aws/lambda-credentials.ts); local runs keep the full chain.
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { Context } from "aws-lambda";
import { isAkamaiApiError } from "../../core/akamai/api-error";
import { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../core/akamai/edgeworkers";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { ENV, requiredEnv } from "../../core/environment-names";
import { appLogger } from "../aws/powertools";
import { CredentialCache } from "../../core/secrets/credential-cache";
import { secretsManagerCredentialLoader } from "../aws/secrets-manager-credentials";
import { type CdnTokenExpiry, reportCdnTokenExpiry } from "../../core/cdn/token-expiry";
import { emfTokenMetrics } from "../../core/tokens/metrics";
import { parseTokenRequest, reconcileTokens, type ReconcileResult } from "../../core/tokens/reconcile";
import { S3_ENDPOINT_ENV, S3ObjectStore } from "../aws/s3-object-store";
import { cdnTokensFromEnv, reconcileSettingsFromEnv } from "../../core/tokens/settings";
import { secretsManagerCdnTokenReader } from "../aws/secrets-manager-cdn-token";

const USER_AGENT = "edgeplane-edgekv-tokens";

export class TokenReconcileError extends Error {
  override name = "TokenReconcileError";
}

/** What the invocation returns and logs: names, counts and states only. */
export function summarize(result: ReconcileResult, cdnTokens: CdnTokenExpiry[] = []) {
  return {
    action: result.request.action,
    created: result.created,
    refreshed: result.refreshed,
    revoked: result.revoked,
    published: result.published,
    deployments: result.deployments.map((d) => ({ edgeWorkerId: d.edgeWorkerId, settled: d.settled, steps: d.steps })),
    stalled: result.stalled,
    tokens: result.tokens,
    notes: result.notes,
    problems: [...result.problems, ...cdnTokens.flatMap((t) => t.problems)],
    writes: result.writes,
    cdnTokens: cdnTokens.map((t) => ({
      cdn: t.cdn,
      target: t.target,
      ...(t.expiresAt !== undefined ? { expiresAt: t.expiresAt } : {}),
      ...(t.daysToExpiry !== undefined ? { daysToExpiry: t.daysToExpiry } : {}),
    })),
  };
}

interface TokenDeps {
  secrets: SecretsManagerClient;
  store: S3ObjectStore;
  credentials: CredentialCache;
}

let deps: TokenDeps | undefined;

/** Built on the first call, so a missing setting fails that call with a clear log line, not the import. */
function dependencies(): TokenDeps {
  if (deps !== undefined) return deps;
  const secrets = new SecretsManagerClient({});
  const built: TokenDeps = {
    secrets,
    store: new S3ObjectStore({
      bucket: requiredEnv(ENV.tokensBucket),
      region: requiredEnv("AWS_REGION"),
      credentials: defaultProvider(),
      ...(process.env[S3_ENDPOINT_ENV] !== undefined ? { endpoint: process.env[S3_ENDPOINT_ENV] } : {}),
    }),
    credentials: new CredentialCache({ load: secretsManagerCredentialLoader(secrets, requiredEnv(ENV.edgegridSecretArn)) }),
  };
  deps = built;
  return built;
}

export async function handler(
  event: unknown,
  context?: Pick<Context, "getRemainingTimeInMillis">,
): Promise<ReturnType<typeof summarize>> {
  const request = parseTokenRequest(event);
  reconcileSettingsFromEnv(process.env); // bad settings fail before any call; the time budget is taken below
  const cdnTokens = cdnTokensFromEnv(process.env);
  const metrics = emfTokenMetrics({ environment: requiredEnv(ENV.environmentName) });
  const { secrets, store, credentials } = dependencies();
  // First, so a failing EdgeKV run still reports the CDN tokens; one token's failure is a problem, not a throw.
  const cdnExpiry =
    request.action === "reconcile" && cdnTokens.length > 0
      ? await reportCdnTokenExpiry(cdnTokens, {
          readToken: secretsManagerCdnTokenReader(secrets),
          daysToExpiry: metrics.cdnDaysToExpiry,
          now: Date.now,
        })
      : [];
  // After the CDN checks, so the reconcile's budget leaves out the time they took.
  const settings = reconcileSettingsFromEnv(process.env, context?.getRemainingTimeInMillis());
  const loaded = await credentials.get();
  const transport = new EdgeGridTransport({ credentials: loaded.credentials, userAgent: USER_AGENT });
  try {
    const result = await reconcileTokens(request, settings, {
      tokens: new EdgeKvTokensClient(transport),
      edgeWorkers: new EdgeWorkersClient(transport),
      store,
      metrics,
      logger: appLogger,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    const summary = summarize(result, cdnExpiry);
    if (summary.problems.length > 0) {
      appLogger.error("EdgeKV token reconcile finished with problems", summary);
      throw new TokenReconcileError(
        `EdgeKV token reconcile: ${summary.problems.length} problem(s): ${summary.problems.join(" | ")}`,
      );
    }
    appLogger.info("EdgeKV token reconcile done", summary);
    return summary;
  } catch (error) {
    // A credential rotated away under us: read the secret again on the next invocation.
    if (isAkamaiApiError(error, 401)) credentials.invalidate();
    throw error;
  } finally {
    transport.close();
  }
}
