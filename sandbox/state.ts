/** What the sandbox remembers, for tests and benchmarks to assert on. */

export interface SandboxClient {
  clientToken: string;
  clientSecret: string;
  accessToken: string;
  /**
   * IAM credential id of this client token (iam-credentials.ts). Clients given to startSandbox that
   * share an accessToken are credentials of one API client. Default: the next free id.
   */
  credentialId?: number;
}

export type PurgeAction = "invalidate" | "delete";
export type PurgeObjectType = "url" | "cpcode" | "tag";
export type PurgeNetwork = "staging" | "production";

export interface AcceptedPurge {
  purgeId: string;
  supportId: string;
  action: PurgeAction;
  type: PurgeObjectType;
  network: PurgeNetwork;
  objects: Array<string | number>;
  /** Present for URL purges sent in the {hostname, objects: [paths]} form. */
  hostname?: string;
  clientToken: string;
  acceptedAtMs: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** "dropped" when a fault closed the connection without an answer. */
  status: number | "dropped";
  /** Set when an injected fault changed the outcome. */
  fault?: string;
  /** Set on 401: why EdgeGrid verification failed. */
  authFailure?: string;
}

/** IAM (iam-credentials.ts): one entry per API client; secrets stay in the verifier's client map. */
export type CredentialStatus = "ACTIVE" | "INACTIVE" | "DELETED";

export interface SandboxCredential {
  credentialId: number;
  clientToken: string;
  status: CredentialStatus;
  description: string;
  createdMs: number;
  expiresMs: number;
}

export interface SandboxApiClient {
  /** The API client's access token: shared by all its credentials, and how the sandbox tells clients apart. */
  accessToken: string;
  /** Every credential ever issued, DELETED ones included (they are hidden from the API). */
  credentials: SandboxCredential[];
}

export interface IamState {
  clients: SandboxApiClient[];
  /** Non-DELETED credentials one client may hold (the real cap is not documented). */
  maxCredentialsPerClient: number;
}

/** EdgeKV tokens (edgekv-tokens.ts). */
export type EdgeKvTokenKind = "legacy" | "enhanced";

export interface SandboxEdgeKvToken {
  name: string;
  uuid: string;
  kind: EdgeKvTokenKind;
  /** Legacy tokens: the JWT-like value. */
  value?: string;
  /** YYYY-MM-DD; "9999-12-31" for enhanced tokens. */
  expiry: string;
  /** null as the live API answers for tokens issued before it reported the date (seeded tokens). */
  issueDate: string | null;
  allowOnStaging: boolean;
  allowOnProduction: boolean;
  namespacePermissions: Record<string, string[]>;
  restrictToEdgeWorkerIds?: string[];
  cpcode: string;
  /** null until the first refresh. */
  latestRefreshDate: string | null;
  /** null while no refresh is scheduled (seeded tokens). */
  nextScheduledRefreshDate: string | null;
  createdMs: number;
  /** Enhanced tokens become COMPLETE at this time (unless activationOutcome says ERROR). */
  activationDoneMs: number;
  activationOutcome: "COMPLETE" | "ERROR";
  revokedMs?: number;
}

export interface EdgeKvState {
  tokens: SandboxEdgeKvToken[];
  /** What POST /edgekv/v1/tokens creates now; tests may switch it to make both kinds. */
  createKind: EdgeKvTokenKind;
  /** Time from creation to tokenActivationStatus COMPLETE for new enhanced tokens. */
  tokenActivationMs: number;
}

/** EdgeWorkers (edgeworkers.ts). */
export type EdgeWorkersNetwork = "STAGING" | "PRODUCTION";

export interface SandboxEdgeWorkerVersion {
  edgeWorkerId: number;
  version: string;
  sequenceNumber: number;
  checksum: string;
  tgz: Buffer;
  createdMs: number;
}

export interface SandboxActivation {
  activationId: number;
  edgeWorkerId: number;
  version: string;
  network: EdgeWorkersNetwork;
  note?: string;
  createdMs: number;
  /** The activation reaches `outcome` at this time; PENDING / IN_PROGRESS before. */
  doneMs: number;
  /** Tests may set ERROR to make an activation fail. */
  outcome: "COMPLETE" | "ERROR";
}

/** Shapes how matching activations end (sandbox/edgeworkers.ts applyActivationFaults). */
export interface ActivationFault {
  edgeWorkerId?: number;
  /** Default: either network. */
  network?: EdgeWorkersNetwork;
  /** Which matching activations it shapes, counted from 1 since the rule was set; default every one. */
  attempts?: number[];
  /** How they end (default COMPLETE). */
  outcome?: "COMPLETE" | "ERROR";
  /** Time to the outcome instead of activationMs (a slow activation). */
  activationMs?: number;
  /** Matching activations seen so far; the sandbox counts. */
  matched?: number;
}

export interface EdgeWorkersState {
  /** EdgeWorker ids that exist; others answer 404. */
  ids: number[];
  versions: SandboxEdgeWorkerVersion[];
  activations: SandboxActivation[];
  /** Time from activation request to its outcome for new activations. */
  activationMs: number;
  /** Fault injection for new activations; the first rule that shapes an activation wins. */
  activationFaults: ActivationFault[];
}

export interface SandboxState {
  purges: AcceptedPurge[];
  requests: RequestRecord[];
  iam: IamState;
  edgeKv: EdgeKvState;
  edgeWorkers: EdgeWorkersState;
}

/** Default cap on credentials per API client; see iam-credentials.ts. */
export const DEFAULT_MAX_CREDENTIALS_PER_CLIENT = 5;

export function emptyState(): SandboxState {
  return {
    purges: [],
    requests: [],
    iam: { clients: [], maxCredentialsPerClient: DEFAULT_MAX_CREDENTIALS_PER_CLIENT },
    edgeKv: { tokens: [], createKind: "enhanced", tokenActivationMs: 0 },
    edgeWorkers: { ids: [], versions: [], activations: [], activationMs: 0, activationFaults: [] },
  };
}

/** Every object of every accepted purge that matches the filter, in arrival order (duplicates kept). */
export function purgedObjects(
  state: SandboxState,
  filter: Partial<Pick<AcceptedPurge, "action" | "type" | "network">> = {},
): Array<string | number> {
  return state.purges
    .filter(
      (p) =>
        (filter.action ?? p.action) === p.action &&
        (filter.type ?? p.type) === p.type &&
        (filter.network ?? p.network) === p.network,
    )
    .flatMap((p) => p.objects);
}
