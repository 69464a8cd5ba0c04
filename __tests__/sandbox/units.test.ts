import fc from "fast-check";
import { FaultQueue } from "../../sandbox/faults";
import { matchRoute, type Route } from "../../sandbox/routes";
import { TokenBucket } from "../../sandbox/token-bucket";

describe("TokenBucket", () => {
  it("starts full, takes all-or-nothing, refills at its rate up to capacity", () => {
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 2 }, 0);
    expect(bucket.available(0)).toBe(10);
    expect(bucket.tryTake(8, 0)).toBe(true);
    expect(bucket.tryTake(3, 0)).toBe(false);
    expect(bucket.available(0)).toBe(2);
    expect(bucket.secondsToFull(0)).toBe(4);
    expect(bucket.available(500)).toBe(3);
    expect(bucket.available(60_000)).toBe(10);
  });

  it("ignores a clock that steps back", () => {
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, 1000);
    bucket.tryTake(10, 1000);
    expect(bucket.available(0)).toBe(0);
    expect(bucket.available(2000)).toBe(1);
  });

  it("never goes below zero or above capacity", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 20 }))), (steps) => {
        const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 3 }, 0);
        let t = 0;
        for (const [dt, n] of steps) {
          t += dt;
          const before = bucket.available(t);
          const took = bucket.tryTake(n, t);
          expect(took).toBe(before >= n);
          const after = bucket.available(t);
          expect(after).toBeGreaterThanOrEqual(0);
          expect(after).toBeLessThanOrEqual(10);
        }
      }),
    );
  });
});

describe("FaultQueue", () => {
  it("matches by prefix, in order, and forgets used-up rules", () => {
    const queue = new FaultQueue();
    queue.set([
      { pathPrefix: "/a", dropConnection: true },
      { times: 2, delayMs: 5 },
    ]);
    expect(queue.take("/b")).toEqual({ delayMs: 5 });
    expect(queue.take("/a/x")).toEqual({ dropConnection: true });
    expect(queue.take("/a/x")).toEqual({ delayMs: 5 });
    expect(queue.take("/a/x")).toBeUndefined();
    expect(queue.pending()).toEqual([]);
  });
});

describe("matchRoute", () => {
  const handle = () => ({ status: 200 });
  const routes: Route[] = [
    { method: "POST", pattern: /^\/a\/(x|y)(?:\/(z))?$/, handle },
    { method: "GET", pattern: /^\/b$/, handle },
  ];

  it("returns captures (missing optional ones as empty strings)", () => {
    expect(matchRoute(routes, "POST", "/a/x")).toMatchObject({ kind: "found", params: ["x", ""] });
    expect(matchRoute(routes, "POST", "/a/y/z")).toMatchObject({ kind: "found", params: ["y", "z"] });
  });

  it("tells a wrong method from an unknown path", () => {
    expect(matchRoute(routes, "GET", "/a/x")).toEqual({ kind: "method_not_allowed", allowed: ["POST"] });
    expect(matchRoute(routes, "GET", "/c")).toEqual({ kind: "not_found" });
  });
});
