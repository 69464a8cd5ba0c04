/**
 * What an attribute will be after apply, as far as the plan says. When Terraform marks it unknown (it is
 * built from values known only after apply, e.g. an IAM policy naming a new queue's ARN), the
 * configuration may still hold its literal text: cdktf writes JSON configuration, and Terraform reports a
 * JSON string with `${…}` interpolations as a `constant_value` that keeps the interpolations as text.
 */
import type { ConfiguredResource, PathStep, ResourceChange } from "./plan";
import { isRecord } from "./plan";

export type Planned =
  | { source: "plan"; value: unknown }
  /** Literal configuration text; interpolations such as `${aws_sqs_queue.q.arn}` are still in it. */
  | { source: "configuration"; value: unknown }
  | { source: "unknown" };

export function valueBefore(change: ResourceChange, path: readonly PathStep[]): unknown {
  return walk(change.change.before, path);
}

export function valueAfter(change: ResourceChange, config: ConfiguredResource | undefined, path: readonly PathStep[]): Planned {
  let unknown: unknown = change.change.after_unknown;
  for (const step of path) {
    if (unknown === true) break;
    unknown = walk(unknown, [step]);
  }
  if (unknown !== true) return { source: "plan", value: walk(change.change.after, path) };
  const literal = configured(config, path);
  return literal === undefined ? { source: "unknown" } : { source: "configuration", value: literal };
}

/** The literal value of a configured attribute: `expressions` nest blocks as lists of expression objects. */
function configured(config: ConfiguredResource | undefined, path: readonly PathStep[]): unknown {
  let node: unknown = config?.expressions;
  for (const [i, step] of path.entries()) {
    if (isRecord(node) && "constant_value" in node) return walk(node.constant_value, path.slice(i));
    node = walk(node, [step]);
    if (node === undefined) return undefined;
  }
  return isRecord(node) && "constant_value" in node ? node.constant_value : undefined;
}

function walk(value: unknown, path: readonly PathStep[]): unknown {
  let v = value;
  for (const step of path) {
    if (Array.isArray(v) && typeof step === "number") v = v[step];
    else if (isRecord(v)) v = v[String(step)];
    else return undefined;
  }
  return v;
}

/** JSON held in a string attribute, or undefined when it is not JSON. */
export function parseJsonString(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
