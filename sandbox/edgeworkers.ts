/**
 * EdgeWorkers API v1 emulation: code bundle versions and activations under /edgeworkers/v1/ids/{id}.
 * Facts and sources: shared/reference/akamai-apis.md §4 (OAS ids.yaml, activations, TD-ew).
 *
 * - Upload: the raw .tgz with Content-Type application/gzip → 201 {edgeWorkerId, version, accountId,
 *   checksum (SHA-256 hex of the tarball), sequenceNumber, createdBy, createdTime} + Location.
 *   Refused (400) when it is not a tgz, lacks main.js or bundle.json, has no string
 *   "edgeworker-version", holds executable files, or exceeds 512 KB compressed / 1 MB of file
 *   content; a version id the EdgeWorker already has is 409. `._*` files are ignored (TD-ew).
 * - When the bundle has edgekv_tokens.js, its entries are checked against the sandbox's EdgeKV tokens
 *   like EdgeWorkers validation does (ACCESS_TOKEN_REFERENCE_INVALID for unknown or not yet COMPLETE
 *   references, ACCESS_TOKEN_EXPIRED, …); edgekv.js without edgekv_tokens.js is
 *   EDGEKV_TOKENS_FILE_MISSING. The sandbox reads the file as
 *   `var edgekv_access_tokens = {JSON}; export { edgekv_access_tokens };` (the documented shape).
 * - Activation: {network: STAGING|PRODUCTION, version, note ≤ 128} → 201 with status PRESUBMIT; reads
 *   then show PENDING, IN_PROGRESS and finally the outcome (COMPLETE, or ERROR when a test sets
 *   `outcome`) once state.edgeWorkers.activationMs has passed on the sandbox clock.
 * - Fault injection: state.edgeWorkers.activationFaults rules make chosen activations (by EdgeWorker,
 *   network and attempt) end in ERROR or take longer (applyActivationFaults).
 * - Only ids in state.edgeWorkers.ids exist (SandboxOptions.edgeWorkers.ids); others are 404.
 *
 * Error codes (EWxxxx) are the sandbox's own [U]; the problem shape follows OAS examples/host-400.json.
 */
import { createHash } from "node:crypto";
import type { Route, RouteRequest, RouteResponse, SandboxContext } from "./routes";
import type { ActivationFault, EdgeWorkersNetwork, SandboxActivation, SandboxEdgeWorkerVersion } from "./state";
import { edgeWorkersProblem, isPlainObject, parseJsonBody } from "./api-problem";
import { checkBundleTokenEntry } from "./edgekv-tokens";
import { TgzFormatError, unpackTgz, type TarFile } from "../core/akamai/tgz";
import {
  EdgeWorkersRequestError,
  MAX_ACTIVATION_NOTE_CHARS,
  MAX_BUNDLE_COMPRESSED_BYTES,
  MAX_BUNDLE_UNCOMPRESSED_BYTES,
  readBundleVersion,
} from "../core/akamai/edgeworkers";

const ACCOUNT_ID = "A-SANDBOX";
const SANDBOX_GROUP_ID = 100_001;
const NETWORKS: readonly EdgeWorkersNetwork[] = ["STAGING", "PRODUCTION"];
const TOKENS_FILE = "edgekv_tokens.js";
const TOKENS_SOURCE =
  /^\s*var\s+edgekv_access_tokens\s*=\s*(\{[\s\S]*\})\s*;?\s*export\s*\{\s*edgekv_access_tokens\s*\}\s*;?\s*$/;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"); // "2020-07-05T18:17:46Z", as in the OAS examples
}

export function activationStatus(activation: SandboxActivation, nowMs: number): string {
  if (nowMs >= activation.doneMs) return activation.outcome;
  return nowMs - activation.createdMs < (activation.doneMs - activation.createdMs) / 2 ? "PENDING" : "IN_PROGRESS";
}

/**
 * The outcome and duration of a new activation under the fault rules. Every rule the activation matches
 * (EdgeWorker id and network) counts it; the first rule whose `attempts` include that count shapes it.
 */
export function applyActivationFaults(
  rules: ActivationFault[],
  activation: Pick<SandboxActivation, "edgeWorkerId" | "network">,
  defaultMs: number,
): { outcome: "COMPLETE" | "ERROR"; activationMs: number } {
  let shaped: ActivationFault | undefined;
  for (const rule of rules) {
    if (rule.edgeWorkerId !== undefined && rule.edgeWorkerId !== activation.edgeWorkerId) continue;
    if (rule.network !== undefined && rule.network !== activation.network) continue;
    rule.matched = (rule.matched ?? 0) + 1;
    if (shaped === undefined && (rule.attempts === undefined || rule.attempts.includes(rule.matched))) shaped = rule;
  }
  return { outcome: shaped?.outcome ?? "COMPLETE", activationMs: shaped?.activationMs ?? defaultMs };
}

/** Problems with a bundle's edgekv_tokens.js, in EdgeWorkers validation-type words. */
export function edgeKvTokensFileProblems(
  files: readonly TarFile[],
  check: (entry: { name: string; value?: string; reference?: string }) => string | undefined,
): string[] {
  const tokensFile = files.find((f) => f.name === TOKENS_FILE);
  if (!tokensFile) {
    return files.some((f) => f.name === "edgekv.js")
      ? [`EDGEKV_TOKENS_FILE_MISSING: the bundle has edgekv.js but no ${TOKENS_FILE}`]
      : [];
  }
  const match = TOKENS_SOURCE.exec(tokensFile.data.toString("utf8"));
  let tokens: unknown;
  try {
    tokens = match ? JSON.parse(match[1] as string) : undefined;
  } catch {
    tokens = undefined;
  }
  if (!isPlainObject(tokens)) {
    return [
      `EDGEKV_TOKENS_FILE_INVALID: ${TOKENS_FILE} must be "var edgekv_access_tokens = {…}; export { edgekv_access_tokens };" with a JSON object`,
    ];
  }
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(tokens)) {
    if (!/^namespace-[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(key)) {
      problems.push(`EDGEKV_TOKENS_FILE_INVALID: key ${key.slice(0, 60)} must be namespace-<namespace>`);
      continue;
    }
    const valid =
      isPlainObject(entry) &&
      typeof entry.name === "string" &&
      (typeof entry.value === "string") !== (typeof entry.reference === "string") &&
      Object.keys(entry).every((k) => ["name", "value", "reference"].includes(k));
    if (!valid) {
      problems.push(`ACCESS_TOKEN_MISSING: ${key} must be {"name", "value"} or {"name", "reference"}`);
      continue;
    }
    const problem = check(entry as { name: string; value?: string; reference?: string });
    if (problem !== undefined) problems.push(`${problem} (${key})`);
  }
  return problems;
}

export function edgeWorkersRoutes(context: SandboxContext): Route[] {
  const state = () => context.state.edgeWorkers;
  const instance = (): string => context.newId("");
  const problem = (status: number, errorCode: string, detail: string, kind?: string): RouteResponse =>
    edgeWorkersProblem(status, errorCode, detail, instance(), kind);
  const known = (idText: string): number | RouteResponse => {
    const id = Number(idText);
    return state().ids.includes(id) ? id : problem(404, "EW1002", `EdgeWorker id ${idText} does not exist`, "not-found");
  };
  const versionView = (v: SandboxEdgeWorkerVersion): Record<string, unknown> => ({
    edgeWorkerId: v.edgeWorkerId,
    version: v.version,
    accountId: ACCOUNT_ID,
    checksum: v.checksum,
    sequenceNumber: String(v.sequenceNumber), // a string in edgeworkers-v1.json (schemas for versions)
    createdBy: "sandbox",
    createdTime: iso(v.createdMs),
  });
  const activationView = (a: SandboxActivation, nowMs: number, status = activationStatus(a, nowMs)): Record<string, unknown> => ({
    edgeWorkerId: a.edgeWorkerId,
    version: a.version,
    activationId: a.activationId,
    accountId: ACCOUNT_ID,
    status,
    network: a.network,
    ...(a.note !== undefined ? { note: a.note } : {}),
    createdBy: "sandbox",
    createdTime: iso(a.createdMs),
    lastModifiedTime: iso(Math.min(nowMs, Math.max(a.createdMs, a.doneMs))),
  });
  const findVersion = (id: number, raw: string): SandboxEdgeWorkerVersion | undefined => {
    let version: string;
    try {
      version = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    return state().versions.find((v) => v.edgeWorkerId === id && v.version === version);
  };

  const upload = (request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const contentType = String(request.headers["content-type"] ?? "");
    if (!/^application\/(gzip|tar\+gzip|x-gzip)\b/i.test(contentType)) {
      return problem(415, "EW1001", "Content-Type must be application/gzip (a .tgz code bundle)", "unsupported-media-type");
    }
    if (request.body.length > MAX_BUNDLE_COMPRESSED_BYTES) {
      return problem(
        400,
        "EW1101",
        `The bundle is ${request.body.length} bytes; at most ${MAX_BUNDLE_COMPRESSED_BYTES} bytes compressed are allowed`,
      );
    }
    let files: TarFile[];
    try {
      files = unpackTgz(request.body, { maxUnpackedBytes: 4 * MAX_BUNDLE_UNCOMPRESSED_BYTES }).filter(
        (f) => !/(^|\/)\._/.test(f.name),
      );
    } catch (error) {
      const reason = error instanceof TgzFormatError ? error.message : "unreadable archive";
      return problem(400, "EW1101", `The bundle is not a valid .tgz: ${reason}`);
    }
    const problems: string[] = [];
    const contentBytes = files.reduce((sum, f) => sum + f.data.length, 0);
    if (contentBytes > MAX_BUNDLE_UNCOMPRESSED_BYTES)
      problems.push(`the files hold ${contentBytes} bytes; at most ${MAX_BUNDLE_UNCOMPRESSED_BYTES} are allowed`);
    if (!files.some((f) => f.name === "main.js")) problems.push("the bundle has no main.js");
    const executable = files.filter((f) => ((f.mode ?? 0) & 0o111) !== 0).map((f) => f.name);
    if (executable.length > 0) problems.push(`executable files are not allowed: ${executable.join(", ")}`);
    let version: string | undefined;
    try {
      version = readBundleVersion(files);
    } catch (error) {
      problems.push(error instanceof EdgeWorkersRequestError ? error.message : "bundle.json is unreadable");
    }
    problems.push(
      ...edgeKvTokensFileProblems(files, (entry) => checkBundleTokenEntry(context.state.edgeKv, entry, request.nowMs)),
    );
    if (problems.length > 0 || version === undefined)
      return problem(400, "EW1101", `Bundle validation failed: ${problems.join("; ")}`);
    if (state().versions.some((v) => v.edgeWorkerId === id && v.version === version)) {
      return problem(
        409,
        "EW1102",
        `Version ${version} already exists for EdgeWorker ${id}; bump "edgeworker-version" in bundle.json`,
        "conflict",
      );
    }
    const stored: SandboxEdgeWorkerVersion = {
      edgeWorkerId: id,
      version,
      sequenceNumber: state().versions.filter((v) => v.edgeWorkerId === id).length + 1,
      checksum: createHash("sha256").update(request.body).digest("hex"),
      tgz: Buffer.from(request.body),
      createdMs: request.nowMs,
    };
    state().versions.push(stored);
    return {
      status: 201,
      headers: { Location: `/edgeworkers/v1/ids/${id}/versions/${encodeURIComponent(version)}` },
      body: versionView(stored),
    };
  };

  const listVersions = (_request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    return {
      status: 200,
      body: {
        versions: state()
          .versions.filter((v) => v.edgeWorkerId === id)
          .map(versionView),
      },
    };
  };

  const getVersion = (_request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const version = findVersion(id, params[1] as string);
    return version
      ? { status: 200, body: versionView(version) }
      : problem(404, "EW1002", `Version ${params[1]} does not exist`, "not-found");
  };

  const getContent = (_request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const version = findVersion(id, params[1] as string);
    if (!version) return problem(404, "EW1002", `Version ${params[1]} does not exist`, "not-found");
    return { status: 200, contentType: "application/gzip", rawBody: version.tgz };
  };

  const activate = (request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const parsed = parseJsonBody(request.body);
    if (!parsed.ok || !isPlainObject(parsed.value)) return problem(400, "EW1000", "The request body must be a JSON object");
    const { network, version, note } = parsed.value;
    const unknown = Object.keys(parsed.value).filter((k) => !["network", "version", "note"].includes(k));
    if (unknown.length > 0)
      return problem(400, "EW1000", `Unknown field(s): ${unknown.join(", ")}; allowed: network, version, note`);
    if (typeof network !== "string" || !NETWORKS.includes(network as EdgeWorkersNetwork)) {
      return problem(400, "EW1000", `network must be one of ${NETWORKS.join(", ")}`);
    }
    if (typeof version !== "string" || version === "") return problem(400, "EW1000", "version must be a non-empty string");
    if (note !== undefined && (typeof note !== "string" || note.length > MAX_ACTIVATION_NOTE_CHARS)) {
      return problem(400, "EW1000", `note must be a string of at most ${MAX_ACTIVATION_NOTE_CHARS} characters`);
    }
    if (!state().versions.some((v) => v.edgeWorkerId === id && v.version === version)) {
      return problem(400, "EW1003", `Version ${version} does not exist for EdgeWorker ${id}`);
    }
    const shaped = applyActivationFaults(
      state().activationFaults,
      { edgeWorkerId: id, network: network as EdgeWorkersNetwork },
      state().activationMs,
    );
    const activation: SandboxActivation = {
      activationId: state().activations.filter((a) => a.edgeWorkerId === id).length + 1,
      edgeWorkerId: id,
      version,
      network: network as EdgeWorkersNetwork,
      ...(typeof note === "string" ? { note } : {}),
      createdMs: request.nowMs,
      doneMs: request.nowMs + shaped.activationMs,
      outcome: shaped.outcome,
    };
    state().activations.push(activation);
    return {
      status: 201,
      headers: { Location: `/edgeworkers/v1/ids/${id}/activations/${activation.activationId}` },
      body: activationView(activation, request.nowMs, "PRESUBMIT"),
    };
  };

  const getActivation = (request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const activation = state().activations.find((a) => a.edgeWorkerId === id && a.activationId === Number(params[1]));
    return activation
      ? { status: 200, body: activationView(activation, request.nowMs) }
      : problem(404, "EW1002", `Activation ${params[1]} does not exist`, "not-found");
  };

  const listActivations = (request: RouteRequest, params: string[]): RouteResponse => {
    const id = known(params[0] as string);
    if (typeof id !== "number") return id;
    const version = request.query.get("version");
    const network = request.query.get("network");
    let shown = state()
      .activations.filter((a) => a.edgeWorkerId === id)
      .filter((a) => version === null || a.version === version)
      .filter((a) => network === null || a.network === network)
      .sort((a, b) => b.activationId - a.activationId);
    if (request.query.get("activeOnNetwork") === "true") {
      // The latest COMPLETE activation per network is what runs there.
      shown = NETWORKS.map((n) => shown.find((a) => a.network === n && activationStatus(a, request.nowMs) === "COMPLETE")).filter(
        (a): a is SandboxActivation => a !== undefined,
      );
    }
    return { status: 200, body: { activations: shown.map((a) => activationView(a, request.nowMs)) } };
  };

  /**
   * GET /edgeworkers/v1/ids: every EdgeWorker id of the account, each with the fields the OpenAPI document
   * requires (edgeworkers-v1.json, schemas/id-get-200.yaml). An id's times are when the sandbox first listed it.
   */
  const idsSeenMs = new Map<number, number>();
  const listIds = (request: RouteRequest): RouteResponse => ({
    status: 200,
    body: {
      edgeWorkerIds: state().ids.map((edgeWorkerId) => {
        if (!idsSeenMs.has(edgeWorkerId)) idsSeenMs.set(edgeWorkerId, request.nowMs);
        const time = iso(idsSeenMs.get(edgeWorkerId) as number);
        return {
          edgeWorkerId,
          name: `sandbox-${edgeWorkerId}`,
          accountId: ACCOUNT_ID,
          groupId: SANDBOX_GROUP_ID,
          resourceTierId: 100,
          createdBy: "sandbox",
          createdTime: time,
          lastModifiedBy: "sandbox",
          lastModifiedTime: time,
        };
      }),
    },
  });

  const base = "^\\/edgeworkers\\/v1\\/ids\\/(\\d{1,12})";
  return [
    { method: "GET", pattern: /^\/edgeworkers\/v1\/ids$/, handle: listIds },
    { method: "POST", pattern: new RegExp(`${base}\\/versions$`), handle: upload },
    { method: "GET", pattern: new RegExp(`${base}\\/versions$`), handle: listVersions },
    { method: "GET", pattern: new RegExp(`${base}\\/versions\\/([^/]+)$`), handle: getVersion },
    { method: "GET", pattern: new RegExp(`${base}\\/versions\\/([^/]+)\\/content$`), handle: getContent },
    { method: "POST", pattern: new RegExp(`${base}\\/activations$`), handle: activate },
    { method: "GET", pattern: new RegExp(`${base}\\/activations$`), handle: listActivations },
    { method: "GET", pattern: new RegExp(`${base}\\/activations\\/(\\d{1,12})$`), handle: getActivation },
  ];
}
