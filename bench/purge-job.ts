/**
 * `npx tsx bench/purge-job.ts [--urls N] [--url-length L]`: one purge job of N URLs (default 50,000 of 76
 * characters: the most the prod example's policy accepts in one request) through purge-api and purge-worker
 * against the sandbox's Fast Purge, with SQS simulated and time simulated (bench/purge/job.ts). Prints the
 * DLQ count (target 0), each URL purged exactly once, receives per message, and throughput beyond the
 * URL bucket's 10,000 burst against its 12,000/min refill. Exits 1 when a target is missed.
 */
import { PURGE_QUEUE_MAX_RECEIVE_COUNT } from "../core/jobs/queue-settings";
import { runJobBench } from "./purge/job";

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

async function main(): Promise<number> {
  const urls = Math.round(flag("--urls", 50_000));
  const urlLength = Math.round(flag("--url-length", 76));
  let ok = true;
  const check = (pass: boolean): string => {
    if (!pass) ok = false;
    return pass ? "ok" : "MISSED";
  };
  console.log(
    `purge job bench: ${n(urls)} URLs of ${urlLength} characters, POST /purge → SQS → purge-worker → sandbox Fast Purge (simulated time)`,
  );
  const f = await runJobBench({ urls, urlLength });
  console.log(
    `POST /purge          ${f.apiStatus}, ${n(f.batches)} batches; job ends ${f.jobStatus}: ${check(f.apiStatus === 202 && f.jobStatus === "done")}`,
  );
  console.log(
    `DLQ                  ${f.dlqMessages} messages (${f.redriven} by SQS redrive); target 0: ${check(f.dlqMessages === 0)}`,
  );
  console.log(
    `accounted for        ${n(f.arrivedOnce)} of ${n(f.urls)} URLs purged exactly once; ${f.arrivedMoreThanOnce} more than once, ${f.missing} missing: ` +
      check(f.arrivedOnce === f.urls),
  );
  console.log(`Fast Purge requests  ${n(f.requests)} (${f.throttled429} answered 429) for ${n(f.batches)} batches`);
  console.log(
    `SQS receives         ${n(f.receives)} for ${n(f.batches)} messages, at most ${f.mostReceives} for one (SQS redrives after ${PURGE_QUEUE_MAX_RECEIVE_COUNT})`,
  );
  const share = f.objectsPerMinuteBeyondBurst / f.refillPerMinute;
  console.log(
    `throughput           ${(f.simulatedMs / 60_000).toFixed(2)} simulated min vs the bucket's minimum ${(f.bucketMinimumMs / 60_000).toFixed(2)} min; ` +
      `beyond the 10,000 burst ${n(f.objectsPerMinuteBeyondBurst)}/min vs refill ${n(f.refillPerMinute)}/min = ${(share * 100).toFixed(1)}%; ` +
      `target ≥ 95%: ${check(share >= 0.95)}`,
  );
  console.log(`real time            ${(f.realMs / 1000).toFixed(2)} s`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
