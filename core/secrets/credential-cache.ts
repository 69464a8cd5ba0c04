/**
 * The EdgeGrid credential the runtime signs with, read from the rotating secret's AWSCURRENT and kept for
 * a short time. Rotation moves AWSCURRENT; a worker holding the old credential gets a 401 from Akamai once
 * the old credential is deactivated, calls invalidate() and reads again (the sender's 401 handling).
 *
 * Concurrent get() calls share one read. A failed read is not cached.
 */
import type { EdgeGridCredentials } from "../edgegrid/credentials";

export const DEFAULT_CREDENTIAL_TTL_MS = 60_000;

export interface LoadedCredential {
  credentials: EdgeGridCredentials;
  /** Secrets Manager VersionId of the value read, when known: tells a rotated credential from the same one. */
  versionId?: string;
}

export interface CredentialSource {
  /** The current credential, from the cache while it is fresh. */
  get(): Promise<LoadedCredential>;
  /** Forget the cached credential: the next get() reads the secret again. */
  invalidate(): void;
}

export interface CredentialCacheOptions {
  load: () => Promise<LoadedCredential>;
  /** Default 60 s. */
  ttlMs?: number;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
}

export class CredentialCache implements CredentialSource {
  private readonly load: () => Promise<LoadedCredential>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private cached: { value: LoadedCredential; readAt: number } | undefined;
  private inFlight: Promise<LoadedCredential> | undefined;
  /** Bumped by invalidate(), so a read started before it cannot refill the cache afterwards. */
  private generation = 0;

  constructor(options: CredentialCacheOptions) {
    this.load = options.load;
    this.ttlMs = options.ttlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs >= 0)) throw new RangeError("ttlMs must be 0 or more");
  }

  get(): Promise<LoadedCredential> {
    const cached = this.cached;
    if (cached !== undefined && this.now() - cached.readAt < this.ttlMs) return Promise.resolve(cached.value);
    if (this.inFlight !== undefined) return this.inFlight;
    const generation = this.generation;
    const startedAt = this.now();
    const read = this.load().then(
      (value) => {
        if (generation === this.generation) {
          this.cached = { value, readAt: startedAt };
          this.inFlight = undefined;
        }
        return value;
      },
      (error: unknown) => {
        if (generation === this.generation) this.inFlight = undefined;
        throw error;
      },
    );
    this.inFlight = read;
    return read;
  }

  invalidate(): void {
    this.generation++;
    this.cached = undefined;
    this.inFlight = undefined;
  }
}
