import fc from "fast-check";
import type { PurgeObject, PurgeType } from "../../../core/purge/objects";
import { MAX_BODY_BYTES, MAX_OBJECTS_PER_REQUEST, type PurgeBatch, planBatches } from "../../../core/purge/planner";
import { prng } from "./fakes";

const base = { action: "invalidate", network: "production" } as const;

function jsonBytes(object: PurgeObject): number {
  return Buffer.byteLength(JSON.stringify(object), "utf8");
}

/**
 * The fewest batches any plan could use: by bytes (each object's JSON plus a comma, a body holding at
 * most 50,000 - 13 of those) and by the per-request object cap.
 */
function lowerBound(type: PurgeType, objects: readonly PurgeObject[]): number {
  let cost = 0;
  for (const o of objects) cost += jsonBytes(o) + 1;
  return Math.max(Math.ceil(cost / (MAX_BODY_BYTES - 13)), Math.ceil(objects.length / MAX_OBJECTS_PER_REQUEST[type]));
}

/** Checks everything a plan promises, for any input. */
function expectSoundPlan(
  type: PurgeType,
  objects: readonly PurgeObject[],
  batches: PurgeBatch[],
  rejectedIndexes: number[],
): void {
  for (const batch of batches) {
    expect(batch.type).toBe(type);
    expect(batch.path).toBe(`/ccu/v3/${batch.action}/${type}/${batch.network}`);
    expect(batch.objects.length).toBeGreaterThan(0);
    expect(batch.objects.length).toBeLessThanOrEqual(MAX_OBJECTS_PER_REQUEST[type]);
    expect(batch.body).toBe(JSON.stringify({ objects: batch.objects }));
    expect(batch.bodyBytes).toBe(Buffer.byteLength(batch.body, "utf8"));
    expect(batch.bodyBytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect((JSON.parse(batch.body) as { objects: unknown[] }).objects).toEqual(batch.objects);
  }
  // Every object is in exactly one batch or rejected: compare multisets.
  const planned = batches.flatMap((b) => b.objects.map((o) => JSON.stringify(o)));
  const rejected = new Set(rejectedIndexes);
  const expected = objects.filter((_, i) => !rejected.has(i)).map((o) => JSON.stringify(o));
  expect(planned.sort()).toEqual(expected.sort());
}

describe("planBatches", () => {
  it("builds one batch with the path, the exact body and its byte count", () => {
    const plan = planBatches({ type: "cpcode", action: "delete", network: "staging", objects: [12345, 98765] });
    expect(plan.rejected).toEqual([]);
    expect(plan.batches).toEqual([
      {
        type: "cpcode",
        action: "delete",
        network: "staging",
        path: "/ccu/v3/delete/cpcode/staging",
        objects: [12345, 98765],
        body: '{"objects":[12345,98765]}',
        bodyBytes: 25,
      },
    ]);
  });

  it("plans nothing for no objects", () => {
    expect(planBatches({ ...base, type: "url", objects: [] })).toEqual({ batches: [], rejected: [] });
  });

  it("counts multi-byte UTF-8 and JSON escapes in body bytes", () => {
    const objects = [
      "https://www.example.com/é",
      'https://www.example.com/"q"',
      "https://www.example.com/\u0001",
      "https://www.example.com/😀",
    ];
    const plan = planBatches({ ...base, type: "url", objects });
    expectSoundPlan("url", objects, plan.batches, []);
    expect(plan.batches[0]?.bodyBytes).toBe(Buffer.byteLength(JSON.stringify({ objects }), "utf8"));
  });

  it("fits an object that exactly fills a body, and rejects one a byte bigger", () => {
    const fits = "u".repeat(MAX_BODY_BYTES - 14 - 2); // {"objects":[ + quotes + ]} = 50,000 bytes
    const tooBig = `${fits}u`;
    const plan = planBatches({ ...base, type: "url", objects: ["a", fits, tooBig, "b"] });
    expect(plan.batches.map((b) => b.bodyBytes).sort((x, y) => x - y)).toEqual([21, MAX_BODY_BYTES]); // {"objects":["a","b"]} is 21 bytes
    expect(plan.rejected).toEqual([
      {
        index: 2,
        object: tooBig,
        reason:
          "object is 49987 bytes as JSON; one request body holds at most 49986 bytes of objects (the body limit is 50000 bytes, TD-purge 413)",
      },
    ]);
  });

  it("caps objects per batch at the type's bucket size", () => {
    const cpcodes = Array.from({ length: 301 }, (_, i) => i + 1);
    expect(
      planBatches({ ...base, type: "cpcode", objects: cpcodes })
        .batches.map((b) => b.objects.length)
        .sort(),
    ).toEqual([1, 300]);
    const tags = Array.from({ length: 5_001 }, () => "t");
    expect(
      planBatches({ ...base, type: "tag", objects: tags })
        .batches.map((b) => b.objects.length)
        .sort(),
    ).toEqual([1, 5_000]);
    // 10,001 one-letter strings fit in one body by bytes (about 40 kB), so only the URL cap splits them.
    const short = Array.from({ length: 10_001 }, () => "u");
    expect(
      planBatches({ ...base, type: "url", objects: short })
        .batches.map((b) => b.objects.length)
        .sort(),
    ).toEqual([1, 10_000]);
  });

  it("keeps input order inside a batch", () => {
    const objects = ["https://www.example.com/long-long-long", "https://www.example.com/s", "https://www.example.com/mid-mid"];
    expect(planBatches({ ...base, type: "url", objects }).batches[0]?.objects).toEqual(objects);
  });

  it("rejects objects of the wrong kind for the type instead of sending them", () => {
    const plan = planBatches({ ...base, type: "cpcode", objects: [1, "2" as unknown as number, 0, 2.5, 3] });
    expect(plan.batches.map((b) => b.objects)).toEqual([[1, 3]]);
    expect(plan.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(plan.rejected[0]?.reason).toBe('cpcode objects must be positive integers; got "2" (run validateObjects first)');
    const urls = planBatches({ ...base, type: "url", objects: ["", 5 as unknown as string] });
    expect(urls.rejected.map((r) => r.reason)).toEqual([
      'url objects must be non-empty strings; got "" (run validateObjects first)',
      "url objects must be non-empty strings; got number 5 (run validateObjects first)",
    ]);
  });

  it("rejects bad type, action or network with the allowed values", () => {
    expect(() => planBatches({ ...base, type: "arl" as "url", objects: [] })).toThrow("type must be one of url, cpcode, tag");
    expect(() => planBatches({ ...base, action: "purge" as "delete", type: "url", objects: [] })).toThrow(
      "action must be one of invalidate, delete",
    );
    expect(() => planBatches({ ...base, network: "prod" as "staging", type: "url", objects: [] })).toThrow(
      "network must be one of staging, production",
    );
  });

  it("does not leave small tags to fill whole batches by count when big tags could carry them", () => {
    // 3,810 tags of 128 characters and 50,000 one-letter tags: 14 batches are enough when each batch
    // mixes both kinds; packing the big ones first and the small ones last would need 20.
    const objects = [
      ...Array.from({ length: 3_810 }, (_, i) => `${"t".repeat(123)}${String(i).padStart(5, "0")}`),
      ...Array.from({ length: 50_000 }, () => "a"),
    ];
    const plan = planBatches({ ...base, type: "tag", objects });
    expectSoundPlan("tag", objects, plan.batches, []);
    expect(lowerBound("tag", objects)).toBe(14);
    expect(plan.batches).toHaveLength(14);
  });

  // ---------------------------------------------------------------------------------------------------
  // Properties

  const pieces = fc.constantFrom("a", "Z", "/", "?", "%20", "é", "ß", "漢", "😀", '"', "\\", "\u0001", "\n", "\ud800", "\u2028");
  const sizedString = fc
    .tuple(fc.array(pieces, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4_000 }), fc.nat(3))
    .map(([parts, repeat, shrink]) => parts.join("").repeat(shrink === 0 ? repeat : Math.ceil(repeat / 200)));

  it("puts every object in exactly one batch or the rejects, bodies parse back, none over 50,000 bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(sizedString, { maxLength: 120 }), (objects) => {
        const plan = planBatches({ ...base, type: "url", objects });
        for (const r of plan.rejected) expect(jsonBytes(objects[r.index] as string)).toBeGreaterThan(MAX_BODY_BYTES - 14);
        expectSoundPlan(
          "url",
          objects,
          plan.batches,
          plan.rejected.map((r) => r.index),
        );
      }),
      { numRuns: 150 },
    );
  });

  it("keeps CP codes as integers and within the cap (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { maxLength: 2_000 }), (objects) => {
        const plan = planBatches({ ...base, type: "cpcode", objects });
        expect(plan.rejected).toEqual([]);
        expectSoundPlan("cpcode", objects, plan.batches, []);
        expect(plan.batches).toHaveLength(Math.ceil(objects.length / 300));
      }),
    );
  });

  /** Large inputs, built from a seed so that fast-check only shrinks a few numbers. */
  const largeUrls = fc
    .record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      count: fc.integer({ min: 1_000, max: 8_000 }),
      maxLength: fc.integer({ min: 40, max: 2_500 }),
      multiByteShare: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ seed, count, maxLength, multiByteShare }) => {
      const random = prng(seed);
      const chars = ["a", "b", "-", "/", "%2F", "é", "漢", "😀"];
      return Array.from({ length: count }, () => {
        // Runs of one character keep generation cheap while mixing 1- to 4-byte characters.
        const length = 1 + Math.floor(random() * maxLength);
        let path = "";
        while (path.length < length) {
          const char = random() < multiByteShare ? chars[5 + Math.floor(random() * 3)] : chars[Math.floor(random() * 5)];
          path += (char as string).repeat(1 + Math.floor(random() * 20));
        }
        return `https://www.example.com/${path}`;
      });
    });

  it("uses at most the minimum number of batches plus 1% on large inputs (property)", () => {
    fc.assert(
      fc.property(largeUrls, (objects) => {
        const plan = planBatches({ ...base, type: "url", objects });
        expect(plan.rejected).toEqual([]);
        const minimum = lowerBound("url", objects);
        expect(plan.batches.length).toBeLessThanOrEqual(minimum + Math.ceil(minimum * 0.01));
        // The bench's form of the same bound, on the bytes actually planned.
        const totalBodyBytes = plan.batches.reduce((sum, b) => sum + b.bodyBytes, 0);
        const benchMinimum = Math.ceil(totalBodyBytes / MAX_BODY_BYTES);
        expect(plan.batches.length).toBeLessThanOrEqual(benchMinimum + Math.ceil(benchMinimum * 0.01));
        for (const b of plan.batches) expect(b.bodyBytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
      }),
      { numRuns: 10 },
    );
  });

  it("stays near the minimum for tags of any length mix, where the object cap can bind (property)", () => {
    const tagSets = fc
      .record({
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        count: fc.integer({ min: 1_000, max: 30_000 }),
        shortShare: fc.double({ min: 0, max: 1, noNaN: true }),
        longMax: fc.integer({ min: 7, max: 128 }),
      })
      .map(({ seed, count, shortShare, longMax }) => {
        const random = prng(seed);
        return Array.from({ length: count }, () => {
          const length = random() < shortShare ? 1 + Math.floor(random() * 6) : 1 + Math.floor(random() * longMax);
          return "t".repeat(length);
        });
      });
    fc.assert(
      fc.property(tagSets, (objects) => {
        const plan = planBatches({ ...base, type: "tag", objects });
        const minimum = lowerBound("tag", objects);
        expect(plan.batches.length).toBeLessThanOrEqual(minimum + Math.ceil(minimum * 0.01));
        for (const b of plan.batches) {
          expect(b.objects.length).toBeLessThanOrEqual(5_000);
          expect(b.bodyBytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
        }
        expect(plan.batches.reduce((n, b) => n + b.objects.length, 0)).toBe(objects.length);
      }),
      { numRuns: 15 },
    );
  });
});
