/**
 * Splits validated purge objects into Fast Purge requests ("batches").
 *
 * Limits (TD-purge 413, rate-limiting):
 * - a request body is at most 50,000 bytes;
 * - a request needs one object token per object, and the account's object bucket holds 10,000 (URL),
 *   300 (CP code) or 5,000 (tag) tokens, so a bigger request could never be accepted.
 *
 * Each object's JSON is measured once; packing works on those byte counts, and each body is built once.
 */
import {
  type PurgeAction,
  type PurgeNetwork,
  type PurgeObject,
  type PurgeType,
  PurgeInputError,
  describe,
  parsePurgeAction,
  parsePurgeNetwork,
  parsePurgeType,
} from "./objects";

/** TD-purge 413: "request body is larger than 50,000 bytes". */
export const MAX_BODY_BYTES = 50_000;

/** Object bucket sizes (TD-purge rate-limiting): no single request may need more tokens than these. */
export const MAX_OBJECTS_PER_REQUEST: Readonly<Record<PurgeType, number>> = { url: 10_000, cpcode: 300, tag: 5_000 };

/** `{"objects":[]}` */
const EMPTY_BODY_BYTES = 14;

/**
 * Packing works with "costs": an object's JSON bytes plus one for the comma before it. The first object
 * of a body has no comma, so a body holding objects whose costs add up to C is 14 + C - 1 bytes long,
 * and the most cost a body can hold is 50,000 - 13.
 */
const COST_CAPACITY = MAX_BODY_BYTES - EMPTY_BODY_BYTES + 1;

export interface PlanInput {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** Validated objects (see validateObjects): strings for url and tag, integers for cpcode. */
  objects: readonly PurgeObject[];
}

export interface PurgeBatch {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** `/ccu/v3/<action>/<type>/<network>` */
  path: string;
  objects: PurgeObject[];
  /** Exactly `JSON.stringify({ objects })`. */
  body: string;
  /** UTF-8 length of `body`; never more than MAX_BODY_BYTES. */
  bodyBytes: number;
}

export interface PlanRejection {
  index: number;
  object: unknown;
  reason: string;
}

export interface PurgePlan {
  batches: PurgeBatch[];
  /** Objects that can never be sent (too big for any body, or of the wrong kind for the type). */
  rejected: PlanRejection[];
}

export function purgePath(action: PurgeAction, type: PurgeType, network: PurgeNetwork): string {
  return `/ccu/v3/${action}/${type}/${network}`;
}

/**
 * Every object ends up in exactly one batch or in `rejected`. Objects keep their input order inside a
 * batch; which batch an object lands in depends on its size (see assignBatches).
 */
export function planBatches(input: PlanInput): PurgePlan {
  const type = parsePurgeType(input.type);
  const action = parsePurgeAction(input.action);
  const network = parsePurgeNetwork(input.network);
  if (!Array.isArray(input.objects)) {
    throw new PurgeInputError("objects", `objects must be an array; got ${describe(input.objects)}`);
  }

  const rejected: PlanRejection[] = [];
  const kept: PurgeObject[] = [];
  const json: string[] = [];
  const costs: number[] = [];
  input.objects.forEach((object: unknown, index) => {
    const shapeProblem = checkShape(type, object);
    if (shapeProblem !== undefined) {
      rejected.push({ index, object, reason: shapeProblem });
      return;
    }
    const text = JSON.stringify(object);
    const cost = Buffer.byteLength(text, "utf8") + 1;
    if (cost > COST_CAPACITY) {
      rejected.push({
        index,
        object,
        reason:
          `object is ${cost - 1} bytes as JSON; one request body holds at most ${COST_CAPACITY - 1} bytes of ` +
          `objects (the body limit is ${MAX_BODY_BYTES} bytes, TD-purge 413)`,
      });
      return;
    }
    kept.push(object as PurgeObject);
    json.push(text);
    costs.push(cost);
  });

  const { batchOf, batchCount } = assignBatches(costs, MAX_OBJECTS_PER_REQUEST[type]);

  // Gather each batch's objects in input order, then build each body once.
  const members: number[][] = Array.from({ length: batchCount }, () => []);
  for (let i = 0; i < kept.length; i++) members[batchOf[i]].push(i);
  const path = purgePath(action, type, network);
  const batches = members.map((indexes): PurgeBatch => {
    let cost = 0;
    for (const i of indexes) cost += costs[i];
    return {
      type,
      action,
      network,
      path,
      objects: indexes.map((i) => kept[i]),
      body: `{"objects":[${indexes.map((i) => json[i]).join(",")}]}`,
      bodyBytes: EMPTY_BODY_BYTES + cost - 1,
    };
  });
  return { batches, rejected };
}

function checkShape(type: PurgeType, object: unknown): string | undefined {
  if (type === "cpcode") {
    if (typeof object === "number" && Number.isSafeInteger(object) && object > 0) return undefined;
    return `cpcode objects must be positive integers; got ${describe(object)} (run validateObjects first)`;
  }
  if (typeof object === "string" && object.length > 0) return undefined;
  return `${type} objects must be non-empty strings; got ${describe(object)} (run validateObjects first)`;
}

/**
 * Assigns each object (given by its cost, every cost ≤ COST_CAPACITY) to a batch so that no batch holds
 * more than COST_CAPACITY cost or more than `maxCount` objects, using few batches. O(n + largest cost).
 *
 * The main rule is "first fit decreasing", one batch at a time: start a batch, then keep adding the largest
 * remaining object that still fits. Each batch closes only when no remaining object fits, so the space it
 * wastes is smaller than the smallest object left, and the small objects are saved for filling gaps.
 *
 * That rule alone does badly when the object cap binds first: objects so small that `maxCount` of them use
 * less than a whole body ("count-dense", e.g. 5,000 one-letter tags) would be left to the end and fill
 * whole batches by count while wasting most of their bytes. So each batch first takes its share of the
 * count-dense objects (their remaining number divided by the fewest batches still needed), and the big
 * objects then fill the bytes around them. With no count-dense objects (for URLs that means none under
 * 5 bytes of JSON, so never for real URLs) this is plain first fit decreasing.
 */
function assignBatches(costs: readonly number[], maxCount: number): { batchOf: Int32Array; batchCount: number } {
  const n = costs.length;
  const batchOf = new Int32Array(n);
  if (n === 0) return { batchOf, batchCount: 0 };

  let topCost = 0;
  let remainingCost = 0;
  for (const cost of costs) {
    if (cost > topCost) topCost = cost;
    remainingCost += cost;
  }
  const isCountDense = (cost: number): boolean => cost * maxCount < COST_CAPACITY;

  // Objects grouped by cost; each group is a queue in input order (linked through `next`).
  const first = new Int32Array(topCost + 1).fill(-1);
  const last = new Int32Array(topCost + 1).fill(-1);
  const left = new Int32Array(topCost + 1);
  const next = new Int32Array(n).fill(-1);
  let countDenseLeft = 0;
  for (let i = 0; i < n; i++) {
    const cost = costs[i];
    if (last[cost] === -1) first[cost] = i;
    else next[last[cost]] = i;
    last[cost] = i;
    left[cost]++;
    if (isCountDense(cost)) countDenseLeft++;
  }

  // below[c] points at a cost ≤ c that may still have objects; it is c itself while group c is non-empty.
  // Costs are ≥ 1, so 0 means "nothing left". Following the pointers with path compression finds the
  // largest cost that fits in amortised near-constant time.
  const below = new Int32Array(topCost + 1);
  for (let c = 1; c <= topCost; c++) below[c] = left[c] > 0 ? c : c - 1;
  const largestCostAtMost = (limit: number): number => {
    let root = Math.min(limit, topCost);
    while (below[root] !== root) root = below[root];
    let c = Math.min(limit, topCost);
    while (below[c] !== c) {
      const down = below[c];
      below[c] = root;
      c = down;
    }
    return root;
  };

  let remaining = n;
  let smallestCost = 1; // only ever rises: groups are never refilled
  let batch = 0;
  let room = 0;
  let slots = 0;
  const place = (cost: number): void => {
    const i = first[cost];
    first[cost] = next[i];
    if (--left[cost] === 0) below[cost] = cost - 1;
    batchOf[i] = batch;
    room -= cost;
    slots--;
    remaining--;
    remainingCost -= cost;
    if (isCountDense(cost)) countDenseLeft--;
  };

  while (remaining > 0) {
    room = COST_CAPACITY;
    slots = maxCount;
    if (countDenseLeft > 0) {
      const fewestBatchesLeft = Math.max(Math.ceil(remainingCost / COST_CAPACITY), Math.ceil(remaining / maxCount));
      // The share is at most maxCount objects, each under COST_CAPACITY / maxCount, so it always fits.
      let share = Math.ceil(countDenseLeft / fewestBatchesLeft);
      for (; share > 0; share--) {
        while (left[smallestCost] === 0) smallestCost++;
        place(smallestCost);
      }
    }
    while (slots > 0) {
      const cost = largestCostAtMost(room);
      if (cost === 0) break;
      place(cost);
    }
    batch++;
  }
  return { batchOf, batchCount: batch };
}
