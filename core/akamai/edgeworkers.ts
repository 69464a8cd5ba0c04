/**
 * EdgeWorkers API v1: code bundle versions and activations. Facts: shared/reference/akamai-apis.md §4
 * (OAS apis/edgeworkers/v1/ids.yaml, activations, TD-ew code-bundle-format).
 *
 * - A version is uploaded as a raw .tgz with Content-Type application/gzip; its id is bundle.json's
 *   "edgeworker-version", which must be new for the EdgeWorker id (deleted ids cannot be reused).
 * - Networks are upper case here (STAGING / PRODUCTION), unlike CCU and EdgeKV paths.
 * - Activation status: PRESUBMIT, PENDING, IN_PROGRESS, COMPLETE, ERROR, ABORTED, CANCELLED, EXPIRED,
 *   DELETED_BY_AKAMAI. COMPLETE is success; the last five are final failures.
 */
import * as z from "zod/mini";
import {
  dropUndefined,
  expectStatus,
  optionalField,
  parseBody,
  pathSegment,
  readList,
  type AkamaiHttp,
  type CallContext,
  type ListResult,
} from "./api-error";
import type { TarFile } from "./tgz";

export type EdgeWorkersNetwork = "STAGING" | "PRODUCTION";
export const EDGEWORKERS_NETWORKS: readonly EdgeWorkersNetwork[] = ["STAGING", "PRODUCTION"];

export const ACTIVATION_STATUSES = [
  "PRESUBMIT",
  "PENDING",
  "IN_PROGRESS",
  "COMPLETE",
  "ERROR",
  "ABORTED",
  "CANCELLED",
  "EXPIRED",
  "DELETED_BY_AKAMAI",
] as const;
export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];
export const FAILED_ACTIVATION_STATUSES: readonly string[] = ["ERROR", "ABORTED", "CANCELLED", "EXPIRED", "DELETED_BY_AKAMAI"];

/** TD-ew limitations. */
export const MAX_BUNDLE_COMPRESSED_BYTES = 512 * 1024;
export const MAX_BUNDLE_UNCOMPRESSED_BYTES = 1024 * 1024;
export const MAX_ACTIVATION_NOTE_CHARS = 128;
export const BUNDLE_MANIFEST = "bundle.json";

export interface EdgeWorkerVersion {
  edgeWorkerId: number;
  version: string;
  accountId?: string;
  checksum?: string;
  sequenceNumber?: number;
  createdBy?: string;
  createdTime?: string;
}

export interface EdgeWorkerActivation {
  activationId: number;
  edgeWorkerId: number;
  version: string;
  network: string;
  /** One of ACTIVATION_STATUSES (other values are passed through as they come). */
  status: string;
  accountId?: string;
  note?: string;
  createdBy?: string;
  createdTime?: string;
  lastModifiedTime?: string;
}

export interface ActivateRequest {
  network: EdgeWorkersNetwork;
  version: string;
  note?: string;
}

const idNumber = z.union([z.int(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]);
const versionText = z.pipe(z.union([z.string(), z.number()]), z.transform(String));
const versionSchema = z.object({
  edgeWorkerId: idNumber,
  version: versionText,
  accountId: optionalField(z.string()),
  checksum: optionalField(z.string()),
  // A string in Akamai's OpenAPI document (edgeworkers-v1.json); read a number too.
  sequenceNumber: optionalField(idNumber),
  createdBy: optionalField(z.string()),
  createdTime: optionalField(z.string()),
});
const activationSchema = z.object({
  activationId: idNumber,
  edgeWorkerId: idNumber,
  version: versionText,
  network: z.string(),
  status: z.string(),
  accountId: optionalField(z.string()),
  note: optionalField(z.string()),
  createdBy: optionalField(z.string()),
  createdTime: optionalField(z.string()),
  lastModifiedTime: optionalField(z.string()),
});

export class EdgeWorkersRequestError extends Error {
  override name = "EdgeWorkersRequestError";
}

function edgeWorkerPath(edgeWorkerId: number): string {
  if (!Number.isSafeInteger(edgeWorkerId) || edgeWorkerId <= 0)
    throw new EdgeWorkersRequestError("edgeWorkerId must be a positive integer");
  return `/edgeworkers/v1/ids/${edgeWorkerId}`;
}

/**
 * The "edgeworker-version" of a bundle's bundle.json, or an EdgeWorkersRequestError naming what is
 * wrong (missing file, not JSON, missing or non-string field).
 */
export function readBundleVersion(files: readonly TarFile[]): string {
  const manifest = files.find((file) => file.name === BUNDLE_MANIFEST);
  if (!manifest) throw new EdgeWorkersRequestError(`the bundle has no ${BUNDLE_MANIFEST}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest.data.toString("utf8"));
  } catch {
    throw new EdgeWorkersRequestError(`${BUNDLE_MANIFEST} is not valid JSON`);
  }
  const version = (parsed as Record<string, unknown> | null)?.["edgeworker-version"];
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    typeof version !== "string" ||
    version.trim() === ""
  ) {
    throw new EdgeWorkersRequestError(`${BUNDLE_MANIFEST} must be an object with a non-empty string "edgeworker-version"`);
  }
  return version;
}

export class EdgeWorkersClient {
  constructor(private readonly http: AkamaiHttp) {}

  /** GET /edgeworkers/v1/ids/{id}/versions: the versions that could be read (see listVersionsDetailed). */
  async listVersions(edgeWorkerId: number): Promise<EdgeWorkerVersion[]> {
    return (await this.listVersionsDetailed(edgeWorkerId)).items;
  }

  /** GET /edgeworkers/v1/ids/{id}/versions, with the list items that could not be read, each named. */
  async listVersionsDetailed(edgeWorkerId: number): Promise<ListResult<EdgeWorkerVersion>> {
    const path = `${edgeWorkerPath(edgeWorkerId)}/versions`;
    const context: CallContext = { operation: `list versions of EdgeWorker ${edgeWorkerId}`, method: "GET", path };
    const response = await this.http.request({ method: "GET", path });
    expectStatus(response, [200], context);
    const list = readList(versionSchema, response, context, "versions");
    return { items: list.items.map((v) => dropUndefined(v) as EdgeWorkerVersion), unreadable: list.unreadable };
  }

  /** GET /edgeworkers/v1/ids/{id}/versions/{version}. */
  async getVersion(edgeWorkerId: number, version: string): Promise<EdgeWorkerVersion> {
    const path = `${edgeWorkerPath(edgeWorkerId)}/versions/${pathSegment(version, "version")}`;
    const context: CallContext = { operation: `get version ${version} of EdgeWorker ${edgeWorkerId}`, method: "GET", path };
    const response = await this.http.request({ method: "GET", path });
    expectStatus(response, [200], context);
    return dropUndefined(parseBody(versionSchema, response, context)) as EdgeWorkerVersion;
  }

  /**
   * POST /edgeworkers/v1/ids/{id}/versions with the raw .tgz (application/gzip) → 201. The version id
   * comes from the bundle's bundle.json; a bundle over 512 KB is refused before sending.
   */
  async uploadVersion(edgeWorkerId: number, tgz: Buffer): Promise<EdgeWorkerVersion> {
    if (tgz.length > MAX_BUNDLE_COMPRESSED_BYTES) {
      throw new EdgeWorkersRequestError(
        `the bundle is ${tgz.length} bytes; EdgeWorkers accepts at most ${MAX_BUNDLE_COMPRESSED_BYTES} bytes compressed`,
      );
    }
    const path = `${edgeWorkerPath(edgeWorkerId)}/versions`;
    const context: CallContext = { operation: `upload a version of EdgeWorker ${edgeWorkerId}`, method: "POST", path };
    const response = await this.http.request({
      method: "POST",
      path,
      body: tgz,
      headers: { "Content-Type": "application/gzip" },
    });
    expectStatus(response, [201, 200], context);
    return dropUndefined(parseBody(versionSchema, response, context)) as EdgeWorkerVersion;
  }

  /** GET /edgeworkers/v1/ids/{id}/versions/{version}/content → the bundle's .tgz bytes. */
  async getVersionContent(edgeWorkerId: number, version: string): Promise<Buffer> {
    const path = `${edgeWorkerPath(edgeWorkerId)}/versions/${pathSegment(version, "version")}/content`;
    const context: CallContext = { operation: `download version ${version} of EdgeWorker ${edgeWorkerId}`, method: "GET", path };
    const response = await this.http.request({ method: "GET", path, headers: { Accept: "application/gzip" } });
    expectStatus(response, [200], context);
    return response.rawBody;
  }

  /** POST /edgeworkers/v1/ids/{id}/activations {network, version, note?} → 201 (status PRESUBMIT). */
  async activateVersion(edgeWorkerId: number, request: ActivateRequest): Promise<EdgeWorkerActivation> {
    if (!EDGEWORKERS_NETWORKS.includes(request.network))
      throw new EdgeWorkersRequestError(`network must be one of ${EDGEWORKERS_NETWORKS.join(", ")}`);
    if (request.version === "") throw new EdgeWorkersRequestError("version must not be empty");
    if (request.note !== undefined && request.note.length > MAX_ACTIVATION_NOTE_CHARS) {
      throw new EdgeWorkersRequestError(`note must be at most ${MAX_ACTIVATION_NOTE_CHARS} characters`);
    }
    const path = `${edgeWorkerPath(edgeWorkerId)}/activations`;
    const context: CallContext = {
      operation: `activate version ${request.version} of EdgeWorker ${edgeWorkerId} on ${request.network}`,
      method: "POST",
      path,
    };
    const body = dropUndefined({ network: request.network, version: request.version, note: request.note });
    const response = await this.http.request({ method: "POST", path, body });
    expectStatus(response, [201, 200], context);
    return dropUndefined(parseBody(activationSchema, response, context)) as EdgeWorkerActivation;
  }

  /** GET /edgeworkers/v1/ids/{id}/activations/{activationId}. */
  async getActivation(edgeWorkerId: number, activationId: number): Promise<EdgeWorkerActivation> {
    const path = `${edgeWorkerPath(edgeWorkerId)}/activations/${pathSegment(activationId, "activationId")}`;
    const context: CallContext = {
      operation: `get activation ${activationId} of EdgeWorker ${edgeWorkerId}`,
      method: "GET",
      path,
    };
    const response = await this.http.request({ method: "GET", path });
    expectStatus(response, [200], context);
    return dropUndefined(parseBody(activationSchema, response, context)) as EdgeWorkerActivation;
  }

  /** GET /edgeworkers/v1/ids/{id}/activations[?version=&network=&activeOnNetwork=true]. */
  async listActivations(
    edgeWorkerId: number,
    filter: { version?: string; network?: EdgeWorkersNetwork; activeOnNetwork?: boolean } = {},
  ): Promise<EdgeWorkerActivation[]> {
    return (await this.listActivationsDetailed(edgeWorkerId, filter)).items;
  }

  /** listActivations, with the list items that could not be read, each named. */
  async listActivationsDetailed(
    edgeWorkerId: number,
    filter: { version?: string; network?: EdgeWorkersNetwork; activeOnNetwork?: boolean } = {},
  ): Promise<ListResult<EdgeWorkerActivation>> {
    const path = `${edgeWorkerPath(edgeWorkerId)}/activations`;
    const context: CallContext = { operation: `list activations of EdgeWorker ${edgeWorkerId}`, method: "GET", path };
    const query: Record<string, string> = {};
    if (filter.version !== undefined) query.version = filter.version;
    if (filter.network !== undefined) query.network = filter.network;
    if (filter.activeOnNetwork) query.activeOnNetwork = "true";
    const response = await this.http.request({ method: "GET", path, query });
    expectStatus(response, [200], context);
    const list = readList(activationSchema, response, context, "activations");
    return { items: list.items.map((a) => dropUndefined(a) as EdgeWorkerActivation), unreadable: list.unreadable };
  }
}
