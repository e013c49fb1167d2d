import { EngineError } from '@krint/engine-sdk';
import type { Engine, EngineRegistry, EngineSession } from '@krint/engine-sdk';
import type { InstanceAddress } from './protocol/commands.js';
import type { InstanceReach } from './instance-reach.js';

/** Sessions unused for this long are closed. */
export const DEFAULT_SESSION_IDLE_MS = 5 * 60_000;

interface CachedSession {
  readonly session: Promise<EngineSession>;
  /** What the session was opened with; a different address means a new session. */
  readonly fingerprint: string;
  inUse: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * One open engine session per instance (by container id), reused across commands and closed after
 * an idle period. A session is replaced when the address changes (new password, new port), and
 * dropped after a failure that is not the engine refusing bad input, since the connection itself
 * may be broken.
 */
export class EngineSessionCache {
  readonly #entries = new Map<string, CachedSession>();

  constructor(
    readonly registry: EngineRegistry,
    readonly reach: InstanceReach,
    readonly idleMs: number = DEFAULT_SESSION_IDLE_MS,
  ) {}

  /** Runs `work` with a session on the instance at `address`. */
  async use<T>(address: InstanceAddress, work: (session: EngineSession, engine: Engine) => Promise<T>): Promise<T> {
    const engine = this.registry.get(address.engineId);
    const entry = await this.#acquire(engine, address);
    try {
      const session = await entry.session;
      return await work(session, engine);
    } catch (error) {
      if (!(error instanceof EngineError) || error.code === 'UNAVAILABLE') await this.evict(address.containerId);
      throw error;
    } finally {
      entry.inUse--;
      this.#scheduleIdleClose(address.containerId, entry);
    }
  }

  /** Closes the instance's session, e.g. after a password change, a stop or a removal. */
  async evict(containerId: string): Promise<void> {
    const entry = this.#entries.get(containerId);
    if (!entry) return;
    this.#entries.delete(containerId);
    clearTimeout(entry.idleTimer);
    await closeQuietly(entry.session);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((id) => this.evict(id)));
  }

  get size(): number {
    return this.#entries.size;
  }

  async #acquire(engine: Engine, address: InstanceAddress): Promise<CachedSession> {
    const fingerprint = JSON.stringify([address.engineId, address.hostPort, address.rootUser, address.rootPassword, address.defaultDatabase]);
    const existing = this.#entries.get(address.containerId);
    if (existing && existing.fingerprint === fingerprint) {
      existing.inUse++;
      clearTimeout(existing.idleTimer);
      return existing;
    }
    if (existing) await this.evict(address.containerId);
    const session = this.reach.target(address).then((target) => engine.connect(target));
    const entry: CachedSession = { session, fingerprint, inUse: 1 };
    this.#entries.set(address.containerId, entry);
    session.catch(() => {
      if (this.#entries.get(address.containerId) === entry) this.#entries.delete(address.containerId);
    });
    return entry;
  }

  #scheduleIdleClose(containerId: string, entry: CachedSession): void {
    if (entry.inUse > 0 || this.#entries.get(containerId) !== entry) return;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      if (entry.inUse === 0 && this.#entries.get(containerId) === entry) void this.evict(containerId);
    }, this.idleMs);
    entry.idleTimer.unref();
  }
}

async function closeQuietly(session: Promise<EngineSession>): Promise<void> {
  try {
    await (await session).close();
  } catch {
    // A session that failed to open or to close has nothing left to release.
  }
}
