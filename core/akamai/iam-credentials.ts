/**
 * IAM API v3, the calling API client's own credentials (`/identity-management/v3/api-clients/self/credentials`).
 * Facts: shared/reference/akamai-apis.md §3 (OAS 10-api-clients-credentials.yaml).
 *
 * - The client secret comes only in the create answer; list/get never return it.
 * - Only INACTIVE credentials can be deleted.
 * - expiresOn must carry milliseconds (IDM-3347); updates always send Date#toISOString().
 * - A credential is client_token + client_secret; access_token and host belong to the API client.
 */
import * as z from "zod/mini";
import {
  dropUndefined,
  expectStatus,
  isoTimestamp,
  optionalField,
  parseBody,
  pathSegment,
  readList,
  type AkamaiHttp,
  type CallContext,
  type ListResult,
} from "./api-error";

export const SELF_CREDENTIALS_PATH = "/identity-management/v3/api-clients/self/credentials";

export type CredentialStatus = "ACTIVE" | "INACTIVE" | "DELETED";

/** A credential as list/get show it: no secret. */
export interface ApiCredential {
  credentialId: number;
  clientToken: string;
  /** ISO 8601. */
  createdOn: string;
  /** ISO 8601. */
  expiresOn: string;
  /** ACTIVE, INACTIVE or DELETED; other values are passed through as they come. */
  status: string;
  description: string;
  /** Latest expiresOn an update may set (list answers carry it). */
  maxAllowedExpiry?: string;
  actions?: Record<string, boolean>;
}

/** The create answer: the only time the secret is seen. */
export interface CreatedCredential extends ApiCredential {
  clientSecret: string;
}

export interface CredentialUpdate {
  expiresOn: Date;
  status: CredentialStatus;
  description?: string;
}

export interface CredentialUpdateResult {
  status: string;
  expiresOn: string;
  description?: string;
}

const credentialShape = {
  credentialId: z.int().check(z.positive()),
  clientToken: z.string().check(z.minLength(1)),
  createdOn: isoTimestamp,
  expiresOn: isoTimestamp,
  status: z.string().check(z.minLength(1)),
  description: z.pipe(
    optionalField(z.string()),
    z.transform((value) => value ?? ""),
  ),
  maxAllowedExpiry: optionalField(isoTimestamp),
  actions: optionalField(z.record(z.string(), z.boolean())),
};

const credentialSchema = z.object(credentialShape);
const createdCredentialSchema = z.object({ ...credentialShape, clientSecret: z.string().check(z.minLength(1)) });
const updateResultSchema = z.object({
  status: z.string().check(z.minLength(1)),
  expiresOn: isoTimestamp,
  description: optionalField(z.string()),
});

export class IamCredentialsClient {
  constructor(private readonly http: AkamaiHttp) {}

  private async call(
    operation: string,
    method: string,
    path: string,
    expected: number[],
    extra: { query?: Record<string, string>; body?: object } = {},
  ) {
    const context: CallContext = { operation, method, path };
    const response = await this.http.request({ method, path, ...extra });
    expectStatus(response, expected, context);
    return { response, context };
  }

  /** POST …/self/credentials (no body) → 201. Keep the answer: its clientSecret is never shown again. */
  async createSelfCredential(): Promise<CreatedCredential> {
    const { response, context } = await this.call("create credential", "POST", SELF_CREDENTIALS_PATH, [201, 200]);
    // If the answer is unusable the credential may exist with nobody holding its secret: name it, so
    // whoever reads the error knows what cleanup will deactivate.
    const id = (response.body as { credentialId?: unknown } | undefined)?.credentialId;
    const note = Number.isSafeInteger(id) ? ` (credential ${String(id)} may exist without a stored secret)` : "";
    return dropUndefined(
      parseBody(createdCredentialSchema, response, { ...context, operation: `${context.operation}${note}` }),
    ) as CreatedCredential;
  }

  /** GET …/self/credentials[?actions=true] → 200 list, without secrets: the credentials that could be read. */
  async listSelfCredentials(options: { actions?: boolean } = {}): Promise<ApiCredential[]> {
    return (await this.listSelfCredentialsDetailed(options)).items;
  }

  /** listSelfCredentials, with the list items that could not be read, each named by credentialId. */
  async listSelfCredentialsDetailed(options: { actions?: boolean } = {}): Promise<ListResult<ApiCredential>> {
    const { response, context } = await this.call(
      "list credentials",
      "GET",
      SELF_CREDENTIALS_PATH,
      [200],
      options.actions ? { query: { actions: "true" } } : {},
    );
    const list = readList(credentialSchema, response, context, null);
    return { items: list.items.map((c) => dropUndefined(c) as ApiCredential), unreadable: list.unreadable };
  }

  async getSelfCredential(credentialId: number): Promise<ApiCredential> {
    const path = `${SELF_CREDENTIALS_PATH}/${pathSegment(credentialId, "credentialId")}`;
    const { response, context } = await this.call("get credential", "GET", path, [200]);
    return dropUndefined(parseBody(credentialSchema, response, context)) as ApiCredential;
  }

  /** PUT …/self/credentials/{id} {expiresOn, status, description?} → 200. */
  async updateSelfCredential(credentialId: number, update: CredentialUpdate): Promise<CredentialUpdateResult> {
    if (Number.isNaN(update.expiresOn.getTime())) throw new RangeError("expiresOn must be a valid date");
    const path = `${SELF_CREDENTIALS_PATH}/${pathSegment(credentialId, "credentialId")}`;
    const body: Record<string, string> = { expiresOn: update.expiresOn.toISOString(), status: update.status };
    if (update.description !== undefined) body.description = update.description;
    const { response, context } = await this.call("update credential", "PUT", path, [200], { body });
    return dropUndefined(parseBody(updateResultSchema, response, context)) as CredentialUpdateResult;
  }

  /** POST …/self/credentials/{id}/deactivate → 204. */
  async deactivateSelfCredential(credentialId: number): Promise<void> {
    const path = `${SELF_CREDENTIALS_PATH}/${pathSegment(credentialId, "credentialId")}/deactivate`;
    await this.call("deactivate credential", "POST", path, [204, 200]);
  }

  /** DELETE …/self/credentials/{id} → 204. Akamai refuses ACTIVE credentials. */
  async deleteSelfCredential(credentialId: number): Promise<void> {
    const path = `${SELF_CREDENTIALS_PATH}/${pathSegment(credentialId, "credentialId")}`;
    await this.call("delete credential", "DELETE", path, [204, 200]);
  }
}

/** Milliseconds since the epoch of an API timestamp (NaN if unparseable; the schemas refuse those). */
export function timestampMs(iso: string): number {
  return Date.parse(iso);
}
