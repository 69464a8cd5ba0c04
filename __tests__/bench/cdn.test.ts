/**
 * The CDN bench's measurement code at a small size, against the real emulators over loopback. Only correctness is
 * checked (each object purged once, requests at least the minimum, nothing over a limit), never speed.
 */
import {
  BENCH_CASES,
  type CdnBenchRun,
  documentedRate,
  runCdnBench,
  runProblems,
  sampleTags,
  scaledClock,
} from "../../bench/cdn/run";

describe("CDN bench at 300 URLs and 60 tags", () => {
  let runs: CdnBenchRun[];

  beforeAll(async () => {
    runs = await runCdnBench({ urls: 300, tags: 60 });
  }, 120_000);

  it("runs URLs and tags for every CDN and Cloudflare plan (CloudFront both in one invalidation stream)", () => {
    expect(runs.map((r) => `${r.name} ${r.kind}`)).toEqual(
      BENCH_CASES.flatMap((name) => (name === "cloudfront" ? [`${name} url+tag`] : [`${name} url`, `${name} tag`])),
    );
    expect(runs.map((r) => r.objects)).toEqual(runs.map((r) => (r.kind === "url" ? 300 : r.kind === "tag" ? 60 : 360)));
  });

  it("every object reached the emulator exactly once, nothing failed, no request over a limit", () => {
    for (const run of runs) {
      expect({ name: run.name, kind: run.kind, problems: runProblems(run) }).toEqual({
        name: run.name,
        kind: run.kind,
        problems: [],
      });
      expect(run).toMatchObject({
        accepted: run.objects,
        purgedOnce: run.objects,
        purgedMoreThanOnce: 0,
        missing: 0,
        unexpected: 0,
      });
      expect(run.failed).toEqual([]);
      expect(run.limitProblems).toEqual([]);
    }
  });

  it("sends at least the minimum the CDN's limits allow, and counts 429s among the requests sent", () => {
    for (const run of runs) {
      expect(run.minimum).toBeGreaterThan(0);
      expect(run.planned).toBeGreaterThanOrEqual(run.minimum);
      expect(run.requestsSent).toBeGreaterThanOrEqual(run.planned);
      expect(run.requestsSent - run.http429).toBeGreaterThanOrEqual(run.minimum);
    }
    const byName = (name: string, kind: string) => runs.find((r) => r.name === name && r.kind === kind) as CdnBenchRun;
    // One URL per Fastly request; 30 per Cloudflare request below Enterprise, 500 on it; ≤ 3,000 items per invalidation.
    expect(byName("fastly", "url").minimum).toBe(300);
    expect(byName("cloudflare-free", "url").minimum).toBe(10);
    expect(byName("cloudflare-enterprise", "url").minimum).toBe(1);
    expect(byName("cloudfront", "url+tag").minimum).toBe(1);
  });

  it("reports the documented rate and the least time it allows", () => {
    for (const run of runs) {
      if (run.name === "fastly") {
        expect(run.documented).toBeUndefined();
        continue;
      }
      const documented = documentedRate(run.name, run.kind);
      expect(run.documented).toEqual(documented);
      expect(run.leastCdnMs).toBe(
        (Math.max(0, run.accepted - (documented?.burstObjects ?? 0)) * 60_000) / (documented?.objectsPerMinute ?? 1),
      );
      expect(run.cdnMs).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("runProblems", () => {
  const clean: CdnBenchRun = {
    name: "fastly",
    cdn: "fastly",
    kind: "tag",
    scale: 1,
    objects: 3,
    accepted: 3,
    rejected: {},
    planned: 1,
    minimum: 1,
    requestsSent: 1,
    http429: 0,
    throttledOrBusy: 0,
    failed: [],
    limitProblems: [],
    purgedOnce: 3,
    purgedMoreThanOnce: 0,
    missing: 0,
    unexpected: 0,
    realMs: 1,
    cdnMs: 1,
    objectsPerMinute: 180_000,
  };

  it("names each broken promise", () => {
    expect(runProblems(clean)).toEqual([]);
    expect(runProblems({ ...clean, purgedOnce: 2, purgedMoreThanOnce: 1 })).toEqual([
      "2/3 purged once, 1 more than once, 0 missing",
    ]);
    expect(runProblems({ ...clean, unexpected: 2 })).toEqual(["2 unexpected objects at the emulator"]);
    expect(runProblems({ ...clean, limitProblems: ["cloudflare got 31 files in one request; the cap is 30"] })).toHaveLength(1);
    expect(runProblems({ ...clean, planned: 1, minimum: 2, requestsSent: 2 })).toEqual([
      "planned 1 requests, below the computed minimum 2: the minimum is wrong",
    ]);
    expect(runProblems({ ...clean, failed: [{ reason: "forbidden", detail: "no", objects: 3 }] })).toEqual([
      "failed (3 objects): forbidden: no",
    ]);
  });
});

describe("bench inputs", () => {
  it("sample tags are distinct and valid everywhere (printable ASCII, no spaces or commas)", () => {
    const tags = sampleTags(2000);
    expect(new Set(tags.map((t) => t.toLowerCase())).size).toBe(2000);
    expect(tags.every((t) => /^[\x21-\x2b\x2d-\x7e]+$/.test(t))).toBe(true);
  });

  it("a scaled clock refuses a bad scale and its sleep resolves", async () => {
    expect(() => scaledClock(0)).toThrow(/scale must be a positive number/);
    const clock = scaledClock(1000);
    const before = clock.now();
    await clock.sleep(5000);
    expect(clock.now()).toBeGreaterThan(before);
  });
});
