/** The purge bench's measurement code, at a small size. Figures are checked for consistency, never for speed. */
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coldLoadMs, lambdaEntries, median } from "../../bench/purge/lambda-load";
import { percentile, runPurgeBench, sampleUrls } from "../../bench/purge/run";

test("pushes URLs past the bucket's burst through the sandbox; every one arrives exactly once", async () => {
  // 12,000 URLs: more than the 10,000-object burst, so the sender has to pace on the refill.
  const figures = await runPurgeBench({ urls: 12_000, timeScale: 200 });
  expect(figures.failedBatches).toEqual([]);
  expect(figures).toMatchObject({
    arrivedOnce: 12_000,
    arrivedMoreThanOnce: 0,
    missing: 0,
    unexpected: 0,
    objectsAccepted: 12_000,
  });
  expect(figures.requests).toBeGreaterThanOrEqual(figures.minimumRequests);
  expect(figures.requests).toBeGreaterThanOrEqual(figures.batches);
  expect(figures.minimumRequests).toBe(Math.ceil(figures.totalBodyBytes / 50_000));
  // One overhead sample per answered request (429s included).
  expect(figures.overheadMs).toHaveLength(figures.requests);
  expect(figures.overheadMs.every((ms) => Number.isFinite(ms))).toBe(true);
  expect(figures.refillPerMinute).toBe(12_000);
});

test("sample URLs are distinct and on the bench host", () => {
  const urls = sampleUrls(1_000);
  expect(new Set(urls).size).toBe(1_000);
  expect(urls.every((u) => u.startsWith("https://www.example.com/"))).toBe(true);
});

test("percentile and median", () => {
  expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  expect(
    percentile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      99,
    ),
  ).toBe(99);
  expect(percentile([7], 99)).toBe(7);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test("cold load is timed in fresh node processes; the four Lambda entries are found", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeplane-bench-test-"));
  try {
    const file = join(dir, "index.js");
    writeFileSync(file, "module.exports = { handler: async () => 1 };\n");
    const samples = coldLoadMs(file, 2);
    expect(samples).toHaveLength(2);
    expect(samples.every((ms) => ms >= 0)).toBe(true);
    writeFileSync(file, "throw new Error('boom at load');\n");
    expect(() => coldLoadMs(file, 1)).toThrow(/require failed: .*boom at load/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(lambdaEntries()).toEqual([
    "functions/edgekv-tokens/index.ts",
    "functions/purge-api/index.ts",
    "functions/purge-worker/index.ts",
    "functions/rotate-credentials/index.ts",
  ]);
});
