/** preparePurge: validate and plan once; every object ends in a batch, in `rejected` (with its input position) or as a duplicate. */
import { hostsOf, preparePurge } from "../../../core/purge/prepare";

test("validation and planner refusals both carry the object's input position, in input order", () => {
  const huge = `https://www.example.com/${"x".repeat(60_000)}`;
  const prepared = preparePurge({
    type: "url",
    action: "invalidate",
    network: "staging",
    allowedHostnames: ["www.example.com"],
    objects: [
      "https://www.example.com/a",
      huge,
      "https://evil.example.net/b",
      "https://www.example.com/a",
      "https://www.example.com/c",
    ],
  });
  expect(prepared.rejected.map((r) => r.index)).toEqual([1, 2]);
  expect(prepared.rejected[0]?.object).toBe(huge);
  expect(prepared.rejected[0]?.reason).toMatch(/bytes as JSON/);
  expect(prepared.accepted).toEqual(["https://www.example.com/a", "https://www.example.com/c"]);
  expect(prepared.plan.batches.flatMap((b) => b.objects)).toEqual(prepared.accepted);
  expect(prepared.duplicates).toBe(1);
});

test("hostsOf lists each URL host once, in first-seen order", () => {
  expect(hostsOf(["https://b.example.com/1", "http://a.example.com:8080/2", "https://b.example.com/3", 123])).toEqual([
    "b.example.com",
    "a.example.com:8080",
  ]);
});
