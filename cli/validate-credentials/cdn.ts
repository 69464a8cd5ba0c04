/**
 * `edgeplane validate-credentials --cdn fastly|cloudflare|cloudfront`: the cheapest calls that prove a CDN credential
 * (core/cdn/credential-checks.ts), and with --probe one harmless real purge. Prints each check as ok / missing /
 * refused / error with its reason; exit 1 unless every check is ok.
 */
import {
  type CredentialReport,
  checkCloudFrontCredential,
  checkCloudflareCredential,
  checkFastlyCredential,
} from "../../core/cdn/credential-checks";
import { CDN_TOKEN_ENV, cdnConfigProblem, cdnToken, cloudFrontClients } from "../cdn-credentials";
import { type ParsedFlags, flagValue, refuseFlags } from "../flags";
import { type CommandIo, UsageError } from "../io";

export type ValidatedCdn = "fastly" | "cloudflare" | "cloudfront";

const TARGET: Record<ValidatedCdn, { flag: string; label: string; pattern: RegExp; expected: string }> = {
  fastly: {
    flag: "--service-id",
    label: "service",
    pattern: /^[A-Za-z0-9]{1,64}$/,
    expected: "letters and digits, e.g. SU1Z0isxPaozGVKXdv0eY",
  },
  cloudflare: {
    flag: "--zone-id",
    label: "zone",
    pattern: /^[0-9a-f]{32}$/,
    expected: "the zone's id: 32 lower-case hex characters (not its name)",
  },
  cloudfront: {
    flag: "--distribution-id",
    label: "distribution",
    pattern: /^[A-Z0-9]{1,64}$/,
    expected: "upper-case letters and digits, e.g. E2QWRUHAPOMQZL",
  },
};

const ONLY: Record<ValidatedCdn, readonly string[]> = {
  fastly: ["--service-id", "--allow-purge-all"],
  cloudflare: ["--zone-id", "--account-id"],
  cloudfront: ["--distribution-id"],
};

const LABELS: Record<string, string> = { ok: "ok", missing: "MISSING", refused: "REFUSED", error: "ERROR" };

export async function runCdnValidation(cdn: ValidatedCdn, flags: ParsedFlags, io: CommandIo): Promise<number> {
  refuseFlags(
    flags,
    ["--edgerc", "--section", "--edgeworker-id", "--env"],
    `only applies to akamai (the default --cdn); got --cdn ${cdn}`,
  );
  for (const [other, only] of Object.entries(ONLY)) {
    if (other !== cdn) refuseFlags(flags, only, `only applies with --cdn ${other}; got --cdn ${cdn}`);
  }
  const target = TARGET[cdn];
  const id = flagValue(flags, target.flag);
  if (id === undefined) throw new UsageError(`--cdn ${cdn} needs ${target.flag}`);
  if (!target.pattern.test(id))
    throw new UsageError(`${target.flag} "${id}" is not a ${cdn} ${target.label} id; expected ${target.expected}`);
  const accountId = flagValue(flags, "--account-id");
  if (accountId !== undefined && !/^[0-9a-f]{32}$/.test(accountId)) {
    throw new UsageError(`--account-id "${accountId}" is not a Cloudflare account id; expected 32 lower-case hex characters`);
  }
  const probe = flags.booleans.has("--probe");

  let report: CredentialReport;
  let source: string;
  try {
    if (cdn === "fastly") {
      source = `token from ${CDN_TOKEN_ENV.fastly}`;
      report = await checkFastlyCredential({
        token: cdnToken("fastly", io.env),
        serviceId: id,
        purgeAll: flags.booleans.has("--allow-purge-all"),
        probe,
        env: io.env,
        now: io.now,
      });
    } else if (cdn === "cloudflare") {
      source = `token from ${CDN_TOKEN_ENV.cloudflare}`;
      report = await checkCloudflareCredential({
        token: cdnToken("cloudflare", io.env),
        zoneId: id,
        ...(accountId === undefined ? {} : { accountId }),
        probe,
        env: io.env,
        now: io.now,
      });
    } else {
      source = "AWS SDK credential chain";
      const clients = await cloudFrontClients(io.env);
      try {
        report = await checkCloudFrontCredential({
          distributionId: id,
          callerIdentity: clients.callerIdentity,
          probe,
          transport: clients.transport,
          now: io.now,
        });
      } finally {
        clients.close();
      }
    }
  } catch (error) {
    throw cdnConfigProblem(error, {});
  }

  if (flags.booleans.has("--json")) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = [`${cdn} ${target.label} ${report.target} (${source})${probe ? ", with a probe purge" : ""}`];
  for (const check of report.checks) {
    lines.push(
      `  ${(LABELS[check.status] ?? check.status).padEnd(7)}  ${check.name.padEnd(width)}  ${check.reason}${
        check.billable ? " [billable]" : ""
      }`,
    );
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  const bad = report.checks.filter((c) => c.status !== "ok");
  if (bad.length === 0) lines.push(`all ${report.checks.length} checks passed`);
  else
    lines.push(
      `${report.checks.length - bad.length} of ${report.checks.length} checks passed; not ok: ${bad
        .map((c) => `${c.name} (${c.status})`)
        .join(", ")}`,
    );
  io.stdout(`${lines.join("\n")}\n`);
  return report.ok ? 0 : 1;
}

export const CDN_VALIDATE_USAGE = `       edgeplane validate-credentials --cdn fastly --service-id ID [--allow-purge-all] [--probe] [--json]
       edgeplane validate-credentials --cdn cloudflare --zone-id ID [--account-id ID] [--probe] [--json]
       edgeplane validate-credentials --cdn cloudfront --distribution-id ID [--probe] [--json]

Other CDNs (--cdn; the credential comes from where \`edgeplane purge --cdn\` reads it):
  fastly       FASTLY_API_TOKEN. GET /tokens/self: the token is accepted and not expired, its scope has purge_select
               (or global; purge_all too with --allow-purge-all), its services include --service-id (none listed =
               all). --probe soft-purges one random surrogate key on the service. A URL purge is never used as
               proof: Fastly accepts URL purges without a token.
  cloudflare   CLOUDFLARE_API_TOKEN. GET /user/tokens/verify, then GET /accounts/ID/tokens/verify with --account-id
               (account-owned tokens fail the user form): active, not expired. Verify lists no permissions, so only
               --probe proves Zone > Cache Purge on the zone: it purges one random cache tag (one request of the
               zone's purge rate limit, 5 per minute on Free).
  cloudfront   the AWS SDK credential chain. STS GetCallerIdentity proves the credential. --probe invalidates one
               random path on the distribution to prove cloudfront:CreateInvalidation: it is BILLABLE, one
               invalidation path (the first 1,000 paths per month per AWS account are free, then $0.005 per path).
  --probe      one harmless real purge, as above
  --json       print {"cdn","target","checks":[{"name","status","reason","billable"?}],"ok","expiresAt"?,"daysToExpiry"?,"notes"}
Each check prints ok, missing (a scope, permission or resource is missing), refused (the credential itself was
refused: wrong, revoked, disabled or expired) or error (the answer could not tell), with the reason.
`;
