/**
 * `npx tsx bench/purge.ts [--urls N] [--time-scale X] [--load-runs N]`: pushes N URLs (default 100,000)
 * through the local Akamai sandbox with the `edgeplane purge --edgerc` code path, under the sandbox's Fast
 * Purge rate limits with time scaled by X (default 40: 7.5 sandbox minutes take about 11 s), and prints:
 * requests vs the minimum, objects per minute vs the URL bucket's refill rate, 429s, every object accounted
 * for, client overhead per request, and each Lambda function's bundle size and cold module-load time.
 * Figures only; it exits 1 when a target of issue #3 is missed, so a run can be checked at a glance.
 *
 * Targets: requests ≤ minimum + 1%; objects/min ≥ 95% of refill; 429s ≤ 1% of requests; every object once.
 */
import { lambdaEntries, measureLambda, measureSigners } from "./purge/lambda-load";
import { percentile, runPurgeBench } from "./purge/run";

function flag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return fallback;
  const text = argv[i]!.includes("=") ? argv[i]!.split("=")[1]! : argv[i + 1];
  const value = Number(text);
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number; got ${String(text)}`);
  return value;
}

const n = (x: number, digits = 0): string =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

async function main(): Promise<number> {
  const urls = Math.round(flag("--urls", 100_000));
  const timeScale = flag("--time-scale", 40);
  const loadRuns = Math.round(flag("--load-runs", 5));
  let ok = true;
  const check = (pass: boolean): string => {
    if (!pass) ok = false;
    return pass ? "ok" : "MISSED";
  };

  console.log(`purge bench: ${n(urls)} URLs through the sandbox, time scale ${timeScale} (rate limits ×${timeScale})`);
  const f = await runPurgeBench({ urls, timeScale });
  const requestTarget = f.minimumRequests * 1.01;
  console.log(
    `requests sent        ${n(f.requests)} vs minimum ${n(f.minimumRequests)} (ceil(${n(f.totalBodyBytes)} body bytes / 50,000)); ` +
      `${n(f.batches)} planned; target ≤ ${n(requestTarget, 2)}: ${check(f.requests <= requestTarget)}`,
  );
  const sustainedShare = f.sustainedObjectsPerMinute / f.refillPerMinute;
  console.log(
    `objects per minute   ${n(f.objectsPerMinute)} overall (${n(f.objectsAccepted)} objects in ${f.sandboxMinutes.toFixed(2)} sandbox min, ` +
      `${(f.elapsedMs / 1000).toFixed(2)} s real), including the bucket's initial ${n(f.initialBurst)}-object burst`,
  );
  console.log(
    `  beyond the burst   ${n(f.sustainedObjectsPerMinute)} vs refill ${n(f.refillPerMinute)}/min = ${pct(sustainedShare)}; ` +
      `target ≥ 95%: ${check(sustainedShare >= 0.95)}`,
  );
  const share429 = f.requests > 0 ? f.throttled429 / f.requests : 0;
  console.log(
    `429s                 ${n(f.throttled429)} = ${pct(share429)} of requests; target ≤ 1%: ${check(share429 <= 0.01)}`,
  );
  const allOnce =
    f.arrivedOnce === urls &&
    f.arrivedMoreThanOnce === 0 &&
    f.missing === 0 &&
    f.unexpected === 0 &&
    f.failedBatches.length === 0;
  console.log(
    `accounted for        ${n(f.arrivedOnce)} of ${n(urls)} arrived exactly once at the sandbox; ${f.arrivedMoreThanOnce} more than once, ` +
      `${f.missing} missing, ${f.unexpected} unexpected, ${f.failedBatches.length} failed batches: ${check(allOnce)}`,
  );
  for (const failed of f.failedBatches.slice(0, 5)) console.log(`  failed batch: ${failed.reason}: ${failed.detail}`);
  console.log(
    `client overhead      p50 ${percentile(f.overheadMs, 50).toFixed(3)} ms, p99 ${percentile(f.overheadMs, 99).toFixed(3)} ms, ` +
      `max ${percentile(f.overheadMs, 100).toFixed(3)} ms per request (${f.overheadMs.length} requests; outside the HTTP round trip, sleeps excluded)`,
  );
  console.log(`waiting for tokens   ${f.sleeps} sleeps, ${(f.sleptMs / 1000).toFixed(2)} s real`);

  console.log(`\nLambda bundles (esbuild, minified, as synth zips them); cold require() in a fresh node, median of ${loadRuns}`);
  for (const entry of lambdaEntries()) {
    const l = measureLambda(entry, loadRuns);
    if (l.error !== undefined) {
      console.log(`  ${l.name.padEnd(20)} could not be measured: ${l.error}`);
      continue;
    }
    console.log(
      `  ${l.name.padEnd(20)} ${n((l.codeBytes ?? 0) / 1024, 1).padStart(8)} KiB code, ${n((l.zipBytes ?? 0) / 1024, 1).padStart(7)} KiB zip, ` +
        `load median ${l.medianMs!.toFixed(1)} ms (runs: ${l.loadMs!.map((ms) => ms.toFixed(1)).join(", ")})`,
    );
  }
  console.log(`\nEdgeGrid signing, bundled and loaded cold the same way (median of ${loadRuns})`);
  for (const signer of measureSigners(loadRuns)) {
    console.log(
      `  ${signer.name.padEnd(26)} ${n(signer.codeBytes / 1024, 1).padStart(8)} KiB code, load median ${signer.medianMs.toFixed(1)} ms`,
    );
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench/purge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
