/**
 * `edgeplane purge --env E` following a job fanned out to several CDNs: the report lists each batch with its
 * CDN, target and the CDN's id, names the failed CDN, and keeps Akamai-only output exactly as it was.
 */
import type { JobView } from "../../../core/jobs/purge-api-contract";
import type { PurgeApiClient } from "../../../cli/purge/api-client";
import { followJobs } from "../../../cli/purge/via-api";
import { exitCodeOf, reportJson, summaryText } from "../../../cli/purge/report";

const JOB = "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f";

function optionsAnswering(view: JobView) {
  const client = {
    submit: async () => ({ status: 500, body: {} }),
    job: async () => ({ status: 200, body: view }),
  } as unknown as PurgeApiClient;
  return {
    client,
    envName: "prod",
    policy: { maxObjectsPerRequest: 50_000, maxRequestBytes: 4_000_000 },
    timeoutMs: 60_000,
    pollIntervalMs: 1,
    sleep: async () => undefined,
    now: () => 0,
  };
}

const base = {
  jobId: JOB,
  createdAt: "2025-06-01T12:00:00.000Z",
  network: "production" as const,
  action: "invalidate" as const,
  type: "url" as const,
  objects: 9,
  rejected: 0,
  duplicates: 0,
  requestedBy: "arn:aws:sts::123456789012:assumed-role/ci/x",
};

test("a multi-CDN job: each batch names its CDN and its id (purgeId, as with --cdn), the failed CDN is named, exit 1", async () => {
  const view: JobView = {
    ...base,
    status: "partially_failed",
    batches: [
      {
        index: 0,
        status: "done",
        objects: 3,
        purgeId: "e535071c-ce03-11e4-9c1a-f10d9b49f1a8",
        estimatedSeconds: 5,
        cdn: "akamai",
        target: "akamai",
      },
      { index: 1, status: "done", objects: 1, cdn: "fastly", target: "fastly:SVC123456789", cdnId: "108-1391560174-974124" },
      { index: 2, status: "done", objects: 3, cdn: "cloudfront", target: "cloudfront:E1SANDBOXDIST", cdnId: "I2J0I21PCUYOIK" },
      {
        index: 3,
        status: "failed",
        objects: 2,
        cdn: "cloudflare",
        target: "cloudflare:0123456789abcdef0123456789abcdef",
        error: { reason: "retriesExhausted", status: 500, detail: "still serverError after 10 attempts" },
      },
    ],
  };
  const { report } = await followJobs([JOB], optionsAnswering(view));
  const json = JSON.parse(reportJson(report)) as { batches: unknown[]; failed: unknown[] };
  expect(json.batches).toEqual([
    { cdn: "akamai", target: "akamai", purgeId: "e535071c-ce03-11e4-9c1a-f10d9b49f1a8", estimatedSeconds: 5, objects: 3 },
    { cdn: "fastly", target: "fastly:SVC123456789", purgeId: "108-1391560174-974124", estimatedSeconds: null, objects: 1 },
    { cdn: "cloudfront", target: "cloudfront:E1SANDBOXDIST", purgeId: "I2J0I21PCUYOIK", estimatedSeconds: null, objects: 3 },
  ]);
  expect(json.failed).toEqual([
    expect.objectContaining({
      cdn: "cloudflare",
      target: "cloudflare:0123456789abcdef0123456789abcdef",
      reason: "retriesExhausted",
      objects: 2,
      status: 500,
    }),
  ]);
  expect(exitCodeOf(report)).toBe(1);
  const text = summaryText(report, {
    type: "url",
    action: "invalidate",
    network: "production",
    duplicates: 0,
    heldBack: false,
    jobIds: [JOB],
  });
  expect(text).toContain("  fastly:SVC123456789: 1 object(s) in 1 request(s); id(s) 108-1391560174-974124");
  expect(text).toContain(
    "  cloudflare:0123456789abcdef0123456789abcdef: 0 object(s) in 0 request(s); 1 request(s) FAILED (2 object(s))",
  );
  expect(text).toContain("FAILED cloudflare:0123456789abcdef0123456789abcdef, job");
});

test("an Akamai-only job's report is unchanged: no cdn fields", async () => {
  const view: JobView = {
    ...base,
    status: "done",
    batches: [{ index: 0, status: "done", objects: 9, purgeId: "p-1", estimatedSeconds: 5 }],
  };
  const { report } = await followJobs([JOB], optionsAnswering(view));
  expect(JSON.parse(reportJson(report))).toEqual({
    batches: [{ purgeId: "p-1", estimatedSeconds: 5, objects: 9 }],
    rejected: [],
    failed: [],
  });
  const text = summaryText(report, { type: "url", action: "invalidate", network: "production", duplicates: 0, heldBack: false });
  expect(text).toContain("9 object(s) accepted by Akamai in 1 request(s)");
});
