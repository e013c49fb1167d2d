/**
 * Named points inside the long operations where a test can make the control plane fail, hang or
 * die, to prove that what is left behind is reconciled. Production code only calls `reach(name)`;
 * nothing happens unless a test armed that point. Tests in the same process arm the object they
 * pass in `KrintOptions.faults`; tests that spawn a real control plane set
 * `KRINT_TEST_FAULT=<point>:<action>` in that process's environment (`fromEnvironment`), which is
 * read once at start and never by a deployed control plane's configuration.
 */

/** Every point, in the order the operations pass them. */
export const FAULT_POINTS = [
  /** Provision: the container exists, the row does not know it yet. */
  'provision.created',
  /** Provision: the row knows the container; the engine is not ready yet. */
  'provision.readiness',
  /** Upgrade or visibility change: the old container is stopped, no new one exists. */
  'upgrade.stopped',
  /** Upgrade: the new container exists on the port, empty. */
  'upgrade.created',
  /** Upgrade: the first chunk of the dump went into the new container. */
  'upgrade.restoring',
  /** Upgrade: restored, counting rows in the new container. */
  'upgrade.verifying',
  /** Upgrade: verified and recorded as such; the row is not swapped yet. */
  'upgrade.verified',
  /** Backup: the first chunk of the dump is on disk. */
  'backup.dumping',
  /** Restore: the first chunk of the dump went into the instance. */
  'restore.restoring',
  /** Delete: the containers are gone, the row is still there. */
  'delete.removed',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * `fail` throws an error; `hang` waits until the operation is aborted (cancelled, or the control
 * plane shuts down) and then throws, or for ever without a signal; `crash` kills the process at
 * once (like `kill -9`).
 */
export const FAULT_ACTIONS = ['fail', 'hang', 'crash'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export class FaultPoints {
  readonly #armed = new Map<FaultPoint, FaultAction>();

  /** Arms `point` for the next time it is reached (once). */
  arm(point: FaultPoint, action: FaultAction): this {
    this.#armed.set(point, action);
    return this;
  }

  /** Does what the point was armed with, once; nothing when it is not armed. */
  async reach(point: FaultPoint, signal?: AbortSignal): Promise<void> {
    const action = this.#armed.get(point);
    if (!action) return;
    this.#armed.delete(point);
    switch (action) {
      case 'fail':
        throw new Error(`Forced failure at "${point}".`);
      case 'hang':
        signal?.throwIfAborted();
        return new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
      case 'crash':
        process.kill(process.pid, 'SIGKILL');
        return new Promise<void>(() => undefined);
    }
  }

  /**
   * The points armed by `KRINT_TEST_FAULT` (`point:action`, several separated by commas); an
   * unknown point or action stops the start with a message rather than testing nothing.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): FaultPoints {
    const faults = new FaultPoints();
    for (const entry of (env.KRINT_TEST_FAULT ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      const [point, action] = entry.split(':') as [string, string | undefined];
      if (!FAULT_POINTS.includes(point as FaultPoint)) throw new Error(`KRINT_TEST_FAULT: unknown point "${point}"; known: ${FAULT_POINTS.join(', ')}.`);
      if (!FAULT_ACTIONS.includes(action as FaultAction)) throw new Error(`KRINT_TEST_FAULT: the action for "${point}" must be one of ${FAULT_ACTIONS.join(', ')}.`);
      faults.arm(point as FaultPoint, action as FaultAction);
    }
    return faults;
  }
}

/** Passes `chunks` through, reaching `point` once the first chunk has been taken. */
export async function* reachAfterFirst<T>(faults: FaultPoints, point: FaultPoint, chunks: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  let first = true;
  for await (const chunk of chunks) {
    yield chunk;
    if (first) {
      first = false;
      await faults.reach(point, signal);
    }
  }
}
