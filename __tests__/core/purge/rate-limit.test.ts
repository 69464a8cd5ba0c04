import fc from "fast-check";
import { OBJECT_BUCKETS, PurgeBuckets, REQUEST_BUCKET } from "../../../core/purge/rate-limit";
import { fakeClock } from "./fakes";

function setup() {
  const clock = fakeClock();
  const buckets = new PurgeBuckets({ now: clock.now });
  const advance = (ms: number) => clock.sleep(ms);
  return { clock, buckets, advance };
}

describe("PurgeBuckets", () => {
  it("uses the documented bucket sizes and rates (TD-purge rate-limiting)", () => {
    expect(REQUEST_BUCKET).toEqual({ size: 100, refillPerSecond: 50 });
    expect(OBJECT_BUCKETS.url).toEqual({ size: 10_000, refillPerSecond: 200 });
    expect(OBJECT_BUCKETS.cpcode).toEqual({ size: 300, refillPerSecond: 0.5 });
    expect(OBJECT_BUCKETS.tag.size).toBe(5_000);
    expect(OBJECT_BUCKETS.tag.refillPerSecond * 60).toBeCloseTo(500, 10);
  });

  it("starts full, then waits for object tokens to refill", async () => {
    const { buckets, advance } = setup();
    expect(buckets.waitTimeFor("url", 10_000)).toBe(0);
    buckets.take("url", 10_000);
    expect(buckets.waitTimeFor("url", 1)).toBe(5); // 200 URL tokens per second
    expect(buckets.waitTimeFor("url", 10_000)).toBe(50_000);
    await advance(49_999);
    expect(buckets.waitTimeFor("url", 10_000)).toBe(1); // 0.2 tokens short, rounded up to a whole millisecond
    await advance(1);
    expect(buckets.waitTimeFor("url", 10_000)).toBe(0);
  });

  it("models the slow CP code and tag buckets", async () => {
    const { buckets, advance } = setup();
    buckets.take("cpcode", 300);
    expect(buckets.waitTimeFor("cpcode", 1)).toBe(2_000); // 30 per minute
    expect(buckets.waitTimeFor("cpcode", 300)).toBe(600_000);
    buckets.take("tag", 5_000);
    expect(buckets.waitTimeFor("tag", 500)).toBe(60_000); // 500 per minute
    await advance(60_000);
    expect(buckets.waitTimeFor("tag", 500)).toBe(0);
    expect(buckets.waitTimeFor("cpcode", 30)).toBe(0);
  });

  it("needs a request token too, shared by all object types", () => {
    const { buckets } = setup();
    for (let i = 0; i < 100; i++) buckets.take(i % 2 === 0 ? "url" : "tag", 1);
    expect(buckets.waitTimeFor("cpcode", 1)).toBe(20); // 50 requests per second
    expect(buckets.balance("cpcode")).toEqual({ requests: 0, objects: 300 });
  });

  it("lets a balance go negative when take is called early, and waits it off", () => {
    const { buckets } = setup();
    buckets.take("cpcode", 300);
    buckets.take("cpcode", 300);
    expect(buckets.balance("cpcode").objects).toBe(-300);
    expect(buckets.waitTimeFor("cpcode", 1)).toBe(602_000);
  });

  it("refunds what a 429 did not cost, never above the bucket size", () => {
    const { buckets } = setup();
    buckets.take("url", 400);
    buckets.refund("url", 400);
    expect(buckets.balance("url")).toEqual({ requests: 100, objects: 10_000 });
    buckets.refund("url", 400);
    expect(buckets.balance("url")).toEqual({ requests: 100, objects: 10_000 });
  });

  it("refuses counts that could never be sent, naming the limit", () => {
    const { buckets } = setup();
    expect(() => buckets.waitTimeFor("cpcode", 301)).toThrow(
      "a request with 301 cpcode objects can never be accepted: the cpcode bucket holds 300 tokens; split it into smaller requests (planBatches does)",
    );
    expect(() => buckets.take("url", 0)).toThrow("objectCount must be a positive integer; got 0");
    expect(() => buckets.waitTimeFor("url", 1.5)).toThrow("objectCount must be a positive integer; got 1.5");
    expect(() => buckets.waitTimeFor("arl" as "url", 1)).toThrow('type must be one of url, cpcode, tag; got "arl"');
  });

  it("adds nothing when the clock steps back", async () => {
    const clock = fakeClock(10_000);
    let now = clock.now();
    const buckets = new PurgeBuckets({ now: () => now });
    buckets.take("cpcode", 300);
    now -= 5_000;
    expect(buckets.balance("cpcode").objects).toBe(0);
    now += 5_000 + 2_000;
    expect(buckets.balance("cpcode").objects).toBeCloseTo(1, 10);
  });

  describe("correctFromHeaders", () => {
    // The header set from TD-purge rate-limit-response-examples, for a URL request.
    const example429 = {
      "X-Ratelimit-Limit": "100",
      "X-Ratelimit-Limit-Per-Second": "50.00",
      "X-Ratelimit-Remaining": "99",
      "X-Ratelimit-Limit-Objects": "10000",
      "X-Ratelimit-Limit-Per-Second-Objects": "200.00",
      "X-Ratelimit-Remaining-Objects": "0",
      "X-Ratelimit-Seconds-To-Refresh-Limit": "0.02",
      "X-Ratelimit-Seconds-To-Refresh-Limit-Objects": "3.5",
    };

    it("takes Akamai's balances, and holds an empty bucket until the advised refresh", () => {
      const { buckets } = setup();
      const correction = buckets.correctFromHeaders("url", example429);
      expect(correction.ignored).toEqual([]);
      expect(correction.secondsToRefresh).toEqual({ requests: 0.02, objects: 3.5 });
      expect(correction.applied).toEqual([
        "X-Ratelimit-Limit",
        "X-Ratelimit-Limit-Per-Second",
        "X-Ratelimit-Remaining",
        "X-Ratelimit-Limit-Objects",
        "X-Ratelimit-Limit-Per-Second-Objects",
        "X-Ratelimit-Remaining-Objects",
        "X-Ratelimit-Seconds-To-Refresh-Limit-Objects",
      ]);
      expect(buckets.balance("url")).toEqual({ requests: 99, objects: 0 });
      // Refill alone would allow 1 URL after 5 ms; Akamai said 3.5 s.
      expect(buckets.waitTimeFor("url", 1)).toBe(3_500);
      expect(buckets.waitTimeFor("url", 1_000)).toBe(5_000);
    });

    it("matches names case-insensitively and trims values", () => {
      const { buckets } = setup();
      const correction = buckets.correctFromHeaders("cpcode", {
        "x-ratelimit-remaining-objects": " 42 ",
        "X-RATELIMIT-REMAINING": "7",
      });
      expect(correction.applied).toEqual(["X-Ratelimit-Remaining", "X-Ratelimit-Remaining-Objects"]);
      expect(buckets.balance("cpcode")).toEqual({ requests: 7, objects: 42 });
    });

    it("takes new sizes and rates", () => {
      const { buckets } = setup();
      buckets.correctFromHeaders("tag", { "X-Ratelimit-Limit-Objects": "1000", "X-Ratelimit-Limit-Per-Second-Objects": "1.5" });
      expect(buckets.balance("tag").objects).toBe(1_000);
      expect(() => buckets.waitTimeFor("tag", 1_001)).toThrow("the tag bucket holds 1000 tokens");
      buckets.take("tag", 1_000);
      expect(buckets.waitTimeFor("tag", 3)).toBe(2_000);
    });

    it("returns a refresh time but does not hold a bucket that still has tokens", () => {
      const { buckets } = setup();
      const correction = buckets.correctFromHeaders("url", {
        "X-Ratelimit-Remaining-Objects": "500",
        "X-Ratelimit-Seconds-To-Refresh-Limit-Objects": "30",
      });
      expect(correction.secondsToRefresh).toEqual({ objects: 30 });
      expect(correction.applied).toEqual(["X-Ratelimit-Remaining-Objects"]);
      expect(buckets.waitTimeFor("url", 500)).toBe(0);
    });

    it.each([
      ["X-Ratelimit-Remaining", "abc", "expected a whole number"],
      ["X-Ratelimit-Remaining", "-1", "expected a whole number"],
      ["X-Ratelimit-Remaining", "1e3", "expected a whole number"],
      ["X-Ratelimit-Remaining", "5.5", "expected a whole number"],
      ["X-Ratelimit-Remaining", "", "expected a whole number"],
      ["X-Ratelimit-Remaining", "101", "larger than the bucket size 100"],
      ["X-Ratelimit-Limit", "0", "expected at least 1"],
      ["X-Ratelimit-Limit", "99999999999999999999", "expected at most 9007199254740991"],
      ["X-Ratelimit-Limit-Per-Second", "0.00", "expected a value above 0"],
      ["X-Ratelimit-Limit-Per-Second", "fast", "expected a decimal number such as 50.00"],
      ["X-Ratelimit-Limit-Per-Second", "NaN", "expected a decimal number such as 50.00"],
      ["X-Ratelimit-Seconds-To-Refresh-Limit", "Infinity", "expected a decimal number such as 50.00"],
      ["X-Ratelimit-Seconds-To-Refresh-Limit", "86400", "expected at most 3600"],
      ["X-Ratelimit-Remaining-Objects", "10, 20", "expected a whole number"],
    ])("ignores %s: %j with a reason", (header, value, reason) => {
      const { buckets } = setup();
      const before = buckets.balance("url");
      const correction = buckets.correctFromHeaders("url", { [header]: value });
      expect(correction.applied).toEqual([]);
      expect(correction.ignored).toEqual([{ header, value: value.trim(), reason }]);
      expect(buckets.balance("url")).toEqual(before);
      expect(buckets.waitTimeFor("url", 1)).toBe(0);
    });

    it("ignores a header sent twice with different values", () => {
      const { buckets } = setup();
      const correction = buckets.correctFromHeaders("url", { "X-Ratelimit-Remaining": "5", "x-ratelimit-remaining": "6" });
      expect(correction.ignored).toEqual([
        { header: "X-Ratelimit-Remaining", value: "5, 6", reason: "sent more than once with different values" },
      ]);
    });

    it("never throws and keeps the model usable, whatever the headers say (property)", () => {
      const names = fc.constantFrom(
        ...Object.keys(example429),
        ...Object.keys(example429).map((n) => n.toLowerCase()),
        "Retry-After",
        "X-Ratelimit-Other",
      );
      const values = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.integer({ min: -5, max: 20_000 }).map(String),
        fc.double().map(String),
      );
      fc.assert(
        fc.property(
          fc.dictionary(names, values),
          fc.constantFrom("url", "cpcode", "tag") as fc.Arbitrary<"url" | "cpcode" | "tag">,
          (headers, type) => {
            const { buckets } = setup();
            const correction = buckets.correctFromHeaders(type, headers);
            for (const ignored of correction.ignored) expect(ignored.reason.length).toBeGreaterThan(0);
            const balance = buckets.balance(type);
            expect(Number.isFinite(balance.requests) && Number.isFinite(balance.objects)).toBe(true);
            const wait = buckets.waitTimeFor(type, 1);
            expect(Number.isFinite(wait) && wait >= 0).toBe(true);
          },
        ),
      );
    });
  });
});
