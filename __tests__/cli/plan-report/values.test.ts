/** Attribute differences as the report shows them: masked, unknowns named, JSON documents opened up. */
import type { Change } from "../../../cli/plan-report/plan";
import { SENSITIVE, UNKNOWN, attributeDiffs } from "../../../cli/plan-report/values";

const diff = (change: Change) =>
  attributeDiffs(change).map((d) => `${d.path}: ${d.before} → ${d.after}${d.forcesReplacement ? " (forces)" : ""}`);

describe("attribute differences", () => {
  test("a sensitive value is masked on both sides, at any depth, while its change is still shown", () => {
    const change: Change = {
      actions: ["update"],
      before: { name: "a", credential: { client_secret: "old-secret", description: "x" }, tags: { k: "v" } },
      after: { name: "a", credential: { client_secret: "new-secret", description: "y" }, tags: { k: "v" } },
      before_sensitive: { credential: { client_secret: true } },
      after_sensitive: { credential: { client_secret: true } },
      after_unknown: {},
    };
    expect(diff(change)).toEqual([`credential.client_secret: ${SENSITIVE} → ${SENSITIVE}`, 'credential.description: "x" → "y"']);
    expect(JSON.stringify(attributeDiffs(change))).not.toMatch(/old-secret|new-secret/);
  });

  test("a whole block marked sensitive, or becoming sensitive, is never shown", () => {
    const change: Change = {
      actions: ["update"],
      before: { cfg: { a: "plain" } },
      after: { cfg: { a: "hidden" } },
      before_sensitive: {},
      after_sensitive: { cfg: true },
      after_unknown: {},
    };
    expect(diff(change)).toEqual([`cfg: {"a":"plain"} → ${SENSITIVE}`]);
    const unchangedButMarked: Change = { ...change, after: { cfg: { a: "plain" } } };
    expect(diff(unchangedButMarked)).toEqual([`cfg: {"a":"plain"} → ${SENSITIVE}`]);
  });

  test("values known only after apply, nested or whole, and what forces a replacement", () => {
    const change: Change = {
      actions: ["delete", "create"],
      before: { name: "old", arn: "arn:1", environment: [{ variables: { A: "1" } }] },
      after: { name: "new", environment: [{}] },
      after_unknown: { arn: true, environment: [{ variables: true }] },
      replace_paths: [["name"]],
    };
    expect(diff(change)).toEqual([
      `arn: "arn:1" → ${UNKNOWN}`,
      `environment[0].variables: {"A":"1"} → ${UNKNOWN}`,
      'name: "old" → "new" (forces)',
    ]);
  });

  test("JSON held in a string is compared inside; a create lists only what gets a value", () => {
    const policy = (actions: string[]) =>
      JSON.stringify({ Statement: [{ Effect: "Allow", Action: actions, Resource: "arn:q" }] });
    const update: Change = {
      actions: ["update"],
      before: { policy: policy(["sqs:A", "sqs:B"]) },
      after: { policy: policy(["sqs:A", "sqs:C"]) },
      after_unknown: {},
    };
    expect(diff(update)).toEqual(['policy ▸ Statement[0].Action[1]: "sqs:B" → "sqs:C"']);
    const create: Change = {
      actions: ["create"],
      before: null,
      after: { name: "q", tags: null, list: [], policy: policy(["sqs:A"]) },
      after_unknown: { id: true },
    };
    expect(diff(create)).toEqual([
      `id: (none) → ${UNKNOWN}`,
      'name: (none) → "q"',
      'policy ▸ Statement[0].Action[0]: (none) → "sqs:A"',
      'policy ▸ Statement[0].Effect: (none) → "Allow"',
      'policy ▸ Statement[0].Resource: (none) → "arn:q"',
    ]);
  });
});
