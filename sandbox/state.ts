/** What the sandbox remembers, for tests and benchmarks to assert on. */

export interface SandboxClient {
  clientToken: string;
  clientSecret: string;
  accessToken: string;
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

export interface SandboxState {
  purges: AcceptedPurge[];
  requests: RequestRecord[];
}

export function emptyState(): SandboxState {
  return { purges: [], requests: [] };
}

/** Every object of every accepted purge that matches the filter, in arrival order (duplicates kept). */
export function purgedObjects(
  state: SandboxState,
  filter: Partial<Pick<AcceptedPurge, "action" | "type" | "network">> = {},
): Array<string | number> {
  return state.purges
    .filter((p) => (filter.action ?? p.action) === p.action && (filter.type ?? p.type) === p.type && (filter.network ?? p.network) === p.network)
    .flatMap((p) => p.objects);
}
