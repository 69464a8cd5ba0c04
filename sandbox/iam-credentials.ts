/**
 * IAM API v3 self-credentials emulation: /identity-management/v3/api-clients/self/credentials.
 * Facts and sources: shared/reference/akamai-apis.md §3 (OAS 10-api-clients-credentials.yaml).
 *
 * - The calling credential identifies the API client ("self"). Credentials sharing an access token
 *   are one API client; a credential created here signs for that client at once.
 * - Only ACTIVE, unexpired credentials sign: INACTIVE, DELETED and expired ones get 401
 *   ("Inactive client token", the gateway's wording in GO test fixtures).
 * - The secret is in the create answer only. Only INACTIVE credentials can be deleted.
 * - expiresOn on update needs milliseconds (IDM-3347) and may not pass maxAllowedExpiry.
 *
 * Choices where the docs are silent ([U] in the reference):
 * - A cap of DEFAULT_MAX_CREDENTIALS_PER_CLIENT (5) non-DELETED credentials (ACTIVE + INACTIVE) per
 *   client; creating one more answers 400. Configurable with SandboxOptions.iam.maxCredentialsPerClient.
 * - maxAllowedExpiry is createdOn + 2 years (the default expiry).
 * - An update may not make an ACTIVE credential's expiresOn lie in the past (400); an INACTIVE one's may.
 * - PUT status DELETED behaves as DELETE (INACTIVE only). Expired credentials keep their status.
 */
import { randomBytes } from "node:crypto";
import type { Route, RouteRequest, RouteResponse, SandboxContext } from "./routes";
import type { CredentialStatus, SandboxApiClient, SandboxClient, SandboxCredential } from "./state";
import { DEFAULT_MAX_CREDENTIALS_PER_CLIENT } from "./state";
import { addMonthsMs, iamProblem, isPlainObject, parseJsonBody } from "./api-problem";

export const SELF_CREDENTIALS = "/identity-management/v3/api-clients/self/credentials";
const CREDENTIAL_LIFETIME_MONTHS = 24;
const FIRST_CREDENTIAL_ID = 100_001;
const MAX_DESCRIPTION_CHARS = 255;
const STATUSES: readonly CredentialStatus[] = ["ACTIVE", "INACTIVE", "DELETED"];
// ISO 8601 with a fractional second: Akamai rejects expiresOn without milliseconds (IDM-3347).
const WITH_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}(?:Z|[+-]\d{2}:\d{2})$/;

export interface IamOptions {
  /** Non-DELETED credentials per API client; default 5. */
  maxCredentialsPerClient?: number;
}

interface Located {
  client: SandboxApiClient;
  credential: SandboxCredential;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class SandboxIam {
  private nextId = FIRST_CREDENTIAL_ID;
  private readonly byToken = new Map<string, Located>();

  /** Registers every client in context.clients as a credential (ACTIVE, two years) of its API client. */
  constructor(
    private readonly context: SandboxContext,
    startMs: number,
    options: IamOptions = {},
  ) {
    const cap = options.maxCredentialsPerClient ?? DEFAULT_MAX_CREDENTIALS_PER_CLIENT;
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError("iam.maxCredentialsPerClient must be a positive integer");
    context.state.iam.maxCredentialsPerClient = cap;
    const clients = [...context.clients.values()];
    const given = clients.map((c) => c.credentialId).filter((id): id is number => id !== undefined);
    if (new Set(given).size !== given.length) throw new RangeError("sandbox clients must have distinct credentialIds");
    this.nextId = Math.max(FIRST_CREDENTIAL_ID, ...given.map((id) => id + 1));
    for (const client of clients) {
      const credentialId = client.credentialId ?? this.nextId++;
      client.credentialId = credentialId;
      this.register(client, {
        credentialId,
        clientToken: client.clientToken,
        status: "ACTIVE",
        description: "sandbox credential",
        createdMs: startMs,
        expiresMs: addMonthsMs(startMs, CREDENTIAL_LIFETIME_MONTHS),
      });
    }
  }

  private register(signer: SandboxClient, credential: SandboxCredential): void {
    let client = this.context.state.iam.clients.find((c) => c.accessToken === signer.accessToken);
    if (!client) {
      client = { accessToken: signer.accessToken, credentials: [] };
      this.context.state.iam.clients.push(client);
    }
    client.credentials.push(credential);
    this.byToken.set(credential.clientToken, { client, credential });
  }

  /** For the EdgeGrid verifier: the signing secret of a usable credential, else undefined. */
  signer(clientToken: string, nowMs: number): SandboxClient | undefined {
    const signer = this.context.clients.get(clientToken);
    if (!signer) return undefined;
    const located = this.byToken.get(clientToken);
    if (located && this.refusalOf(located.credential, nowMs) !== undefined) return undefined;
    return signer;
  }

  /** Why a known client token may not sign (for the 401 detail); undefined when unknown or usable. */
  refusal(clientToken: string, nowMs: number): string | undefined {
    const located = this.byToken.get(clientToken);
    return located ? this.refusalOf(located.credential, nowMs) : undefined;
  }

  private refusalOf(credential: SandboxCredential, nowMs: number): string | undefined {
    if (credential.status !== "ACTIVE") return "Inactive client token";
    if (credential.expiresMs <= nowMs) return "Expired client token";
    return undefined;
  }

  private maxAllowedMs(credential: SandboxCredential): number {
    return addMonthsMs(credential.createdMs, CREDENTIAL_LIFETIME_MONTHS);
  }

  private view(credential: SandboxCredential, withActions: boolean): Record<string, unknown> {
    const view: Record<string, unknown> = {
      credentialId: credential.credentialId,
      clientToken: credential.clientToken,
      createdOn: iso(credential.createdMs),
      expiresOn: iso(credential.expiresMs),
      status: credential.status,
      description: credential.description,
      maxAllowedExpiry: iso(this.maxAllowedMs(credential)),
    };
    if (withActions) {
      const active = credential.status === "ACTIVE";
      view.actions = { deactivate: active, activate: !active, delete: !active, editDescription: true, editExpiration: true };
    }
    return view;
  }

  private markDeleted(credential: SandboxCredential): void {
    credential.status = "DELETED";
    this.context.clients.delete(credential.clientToken);
  }

  routes(): Route[] {
    const escaped = SELF_CREDENTIALS.replace(/[/.-]/g, (c) => `\\${c}`);
    const collection = new RegExp(`^${escaped}$`);
    const deactivateAll = new RegExp(`^${escaped}\\/deactivate$`);
    const one = new RegExp(`^${escaped}\\/([^/]+)$`);
    const deactivateOne = new RegExp(`^${escaped}\\/([^/]+)\\/deactivate$`);

    const caller = (request: RouteRequest): SandboxApiClient => {
      // Verification passed, so the signer is a registered credential.
      return (this.byToken.get(request.clientToken) as Located).client;
    };
    const live = (client: SandboxApiClient): SandboxCredential[] => client.credentials.filter((c) => c.status !== "DELETED");
    const instance = (request: RouteRequest): string => `${request.path}#${this.context.newId("")}`;
    const find = (request: RouteRequest, idText: string): SandboxCredential | RouteResponse => {
      if (!/^\d{1,15}$/.test(idText)) return iamProblem(400, "credentialId must be an integer", instance(request));
      const credential = live(caller(request)).find((c) => c.credentialId === Number(idText));
      return credential ?? iamProblem(404, `Credential ${idText} not found for this API client`, instance(request), "not-found");
    };
    const isResponse = (value: SandboxCredential | RouteResponse): value is RouteResponse =>
      "status" in value && typeof value.status === "number";

    const create = (request: RouteRequest): RouteResponse => {
      const client = caller(request);
      const cap = this.context.state.iam.maxCredentialsPerClient;
      if (live(client).length >= cap) {
        return iamProblem(
          400,
          `The API client already has ${cap} credentials, the most allowed; delete an INACTIVE credential first`,
          instance(request),
          "credential-limit",
        );
      }
      const signer: SandboxClient = {
        clientToken: `akab-${randomBytes(10).toString("hex")}-${randomBytes(8).toString("hex")}`,
        clientSecret: randomBytes(32).toString("base64"),
        accessToken: client.accessToken,
        credentialId: this.nextId++,
      };
      const credential: SandboxCredential = {
        credentialId: signer.credentialId as number,
        clientToken: signer.clientToken,
        status: "ACTIVE",
        description: "",
        createdMs: request.nowMs,
        expiresMs: addMonthsMs(request.nowMs, CREDENTIAL_LIFETIME_MONTHS),
      };
      this.context.clients.set(signer.clientToken, signer);
      this.register(signer, credential);
      const { maxAllowedExpiry: _max, ...shown } = this.view(credential, false);
      return {
        status: 201,
        headers: { Location: `${SELF_CREDENTIALS}/${credential.credentialId}` },
        body: { ...shown, clientSecret: signer.clientSecret },
      };
    };

    const list = (request: RouteRequest): RouteResponse => ({
      status: 200,
      body: live(caller(request))
        .sort((a, b) => a.credentialId - b.credentialId)
        .map((c) => this.view(c, request.query.get("actions") === "true")),
    });

    const get = (request: RouteRequest, params: string[]): RouteResponse => {
      const found = find(request, params[0] as string);
      return isResponse(found) ? found : { status: 200, body: this.view(found, request.query.get("actions") === "true") };
    };

    const update = (request: RouteRequest, params: string[]): RouteResponse => {
      const found = find(request, params[0] as string);
      if (isResponse(found)) return found;
      const parsed = parseJsonBody(request.body);
      if (!parsed.ok || !isPlainObject(parsed.value))
        return iamProblem(400, "The request body must be a JSON object", instance(request));
      const body = parsed.value;
      const unknown = Object.keys(body).filter((key) => !["expiresOn", "status", "description"].includes(key));
      if (unknown.length > 0)
        return iamProblem(
          400,
          `Unknown field(s): ${unknown.join(", ")}; allowed: expiresOn, status, description`,
          instance(request),
        );
      const { expiresOn, status, description } = body;
      if (typeof expiresOn !== "string" || !WITH_MILLISECONDS.test(expiresOn) || Number.isNaN(Date.parse(expiresOn))) {
        return iamProblem(
          400,
          "expiresOn is required: an ISO 8601 timestamp with milliseconds, e.g. 2026-01-31T12:00:00.000Z",
          instance(request),
        );
      }
      if (typeof status !== "string" || !STATUSES.includes(status as CredentialStatus)) {
        return iamProblem(400, `status is required: one of ${STATUSES.join(", ")}`, instance(request));
      }
      if (description !== undefined && (typeof description !== "string" || description.length > MAX_DESCRIPTION_CHARS)) {
        return iamProblem(400, `description must be a string of at most ${MAX_DESCRIPTION_CHARS} characters`, instance(request));
      }
      const expiresMs = Date.parse(expiresOn);
      if (expiresMs > this.maxAllowedMs(found)) {
        return iamProblem(
          400,
          `expiresOn must not be later than maxAllowedExpiry ${iso(this.maxAllowedMs(found))}`,
          instance(request),
        );
      }
      if (status === "ACTIVE" && expiresMs <= request.nowMs) {
        return iamProblem(400, "expiresOn must be in the future for an ACTIVE credential", instance(request));
      }
      if (status === "DELETED" && found.status !== "INACTIVE") {
        return iamProblem(400, "Only INACTIVE credentials can be deleted", instance(request));
      }
      found.expiresMs = expiresMs;
      if (typeof description === "string") found.description = description;
      if (status === "DELETED") this.markDeleted(found);
      else found.status = status as CredentialStatus;
      return { status: 200, body: { status: found.status, expiresOn: iso(found.expiresMs), description: found.description } };
    };

    const deactivate = (request: RouteRequest, params: string[]): RouteResponse => {
      const found = find(request, params[0] as string);
      if (isResponse(found)) return found;
      found.status = "INACTIVE";
      return { status: 204 };
    };

    const deactivateEvery = (request: RouteRequest): RouteResponse => {
      for (const credential of live(caller(request))) credential.status = "INACTIVE";
      return { status: 204 };
    };

    const remove = (request: RouteRequest, params: string[]): RouteResponse => {
      const found = find(request, params[0] as string);
      if (isResponse(found)) return found;
      if (found.status !== "INACTIVE") return iamProblem(400, "Only INACTIVE credentials can be deleted", instance(request));
      this.markDeleted(found);
      return { status: 204 };
    };

    return [
      { method: "POST", pattern: collection, handle: create },
      { method: "GET", pattern: collection, handle: list },
      { method: "POST", pattern: deactivateAll, handle: deactivateEvery },
      { method: "GET", pattern: one, handle: get },
      { method: "PUT", pattern: one, handle: update },
      { method: "DELETE", pattern: one, handle: remove },
      { method: "POST", pattern: deactivateOne, handle: deactivate },
    ];
  }
}
