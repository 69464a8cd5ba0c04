/**
 * `npx tsx bench/cdn.ts [--urls N] [--tags N] [--only akamai,fastly,...]`: per CDN (Cloudflare per plan), N URLs
 * (default 10,000) and N tags (default 2,000) through core/cdn's providers and runner, over real HTTP on loopback,
 * to the emulators (bench/cdn/run.ts). Prints a table: requests sent vs the minimum the CDN's limits allow,
 * objects per minute vs the documented rate (and the least time those limits allow), 429s, each object purged
 * exactly once, no request over a limit. Exits 1 when a correctness check fails.
 */
import { BENCH_CASES, type BenchCaseName, type CdnBenchRun, DEFAULT_SCALES, runCdnBench, runProblems } from "./cdn/run";

function flag(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return undefined;
  return argv[i]!.includes("=") ? argv[i]!.split("=")[1] : argv[i + 1];
}

function count(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= 0)) throw new RangeError(`${name} must be a whole number ≥ 0; got ${text}`);
  return value;
}

function cases(): BenchCaseName[] {
  const text = flag("--only");
  if (text === undefined) return [...BENCH_CASES];
  const names = text.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(BENCH_CASES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new RangeError(`--only: unknown case(s) ${unknown.join(", ")}; choose from ${BENCH_CASES.join(", ")}`);
  return names as BenchCaseName[];
}

const n = (x: number, digits = 0): string =>
  Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "∞";

function row(run: CdnBenchRun): string[] {
  const over = run.minimum > 0 ? ((run.requestsSent - run.minimum) / run.minimum) * 100 : 0;
  const documented = run.documented;
  let rate = "not rate limited (cdn-apis.md §1)";
  if (documented !== undefined) {
    const least = run.leastCdnMs ?? 0;
    rate =
      least === 0
        ? `${n(documented.objectsPerMinute)}/min; all ${n(run.accepted)} within the ${n(documented.burstObjects)} burst`
        : `${n(documented.objectsPerMinute)}/min after ${n(documented.burstObjects)}; least ${n(least / 1000, 1)} s = ${n((least / run.cdnMs) * 100, 0)}% of taken`;
  }
  const problems = runProblems(run);
  return [
    run.name,
    run.kind,
    n(run.accepted),
    `${n(run.requestsSent)} / ${n(run.minimum)} (${over >= 0 ? "+" : ""}${n(over, 1)}%)`,
    n(run.http429),
    `${n(run.cdnMs / 1000, 2)} s (${n(run.realMs / 1000, 2)} s real, ×${run.scale})`,
    n(run.objectsPerMinute),
    rate,
    problems.length === 0 ? `ok: ${n(run.purgedOnce)} once` : `FAILED: ${problems.join("; ")}`,
  ];
}

const HEADER = [
  "cdn",
  "objects",
  "n",
  "requests sent / minimum",
  "429s",
  "CDN time (real, scale)",
  "objects/min",
  "documented rate (least time it allows, share of the time taken)",
  "each once, within limits",
];

function table(rows: string[][]): string {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 4 || i === 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(HEADER), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<number> {
  const urls = count("--urls", 10_000);
  const tags = count("--tags", 2_000);
  const only = cases();
  console.log(`CDN purge bench: ${n(urls)} URLs and ${n(tags)} tags per CDN, real HTTP to the loopback emulators`);
  console.log(
    "clock: CDN time = real time × scale, one scaled clock shared by the emulator (its `now`, time scale 1, documented rates) " +
      "and the runner (injected clock); rates are per CDN minute. Scales: " +
      only.map((c) => `${c} ×${DEFAULT_SCALES[c]}`).join(", "),
  );
  const started = performance.now();
  const runs = await runCdnBench({ urls, tags, cases: only }, (run) => process.stderr.write(`  done: ${run.name} ${run.kind}\n`));
  console.log(table(runs.map(row)));
  console.log(
    "requests sent: purge requests the emulator received (429s included); minimum: the fewest the CDN's per-request limits allow. " +
      "documented rate sources: bench/cdn/run.ts (documentedRate).",
  );
  console.log(`total ${n((performance.now() - started) / 1000, 1)} s real`);
  return runs.every((run) => runProblems(run).length === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
