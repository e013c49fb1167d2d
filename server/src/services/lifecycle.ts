/**
 * The instance lifecycle: Krint's own view of an instance (Docker's view of the container is
 * `Instance.state`). Every rule about what may happen to an instance in which state lives here,
 * and the services ask this module instead of comparing statuses themselves.
 *
 * ```
 *                 provision
 *                     │
 *              ┌──────▼──────┐  cut short or failed: undone
 *              │ provisioning├──────────────────────────────▶ (row removed)
 *              └──────┬──────┘
 *                     │ container ready
 *              ┌──────▼──────┐  upgrade, visibility,    ┌───────────┐
 *    start,    │             ├─ rollback, discard ─────▶│ upgrading │
 *    stop,     │             │◀── done or undone ───────┤           │
 *    restart,  │    ready    │                          └─────┬─────┘
 *    rename,   │             ├─ restore ───────────────▶┌───────────┐
 *    rotate,   │             │◀── done ─────────────────┤ restoring │
 *    backup    └──┬───────▲──┘                          └─────┬─────┘
 *                 │       │ repaired: start, restart,         │ cut short, and reconciliation
 *          delete │       │ rollback, restore                 │ cannot decide alone
 *                 │  ┌────┴───┐◀────────────────────────────────┘
 *                 │  │ failed │
 *                 │  └────┬───┘
 *                 ▼       │ delete
 *              ┌──────────▼──┐
 *              │  deleting   ├── done ──▶ (row removed)    fails: back to where it was
 *              └─────────────┘
 * ```
 *
 * A long operation claims the instance by moving it into its transitional state in one
 * conditional UPDATE (`claim`), so two of them can never run at once. A control plane that stops
 * in the middle leaves the transitional state behind; reconciliation at the next start (or when
 * the instance's node comes back) finishes or undoes the operation and leaves `ready` (or the
 * row gone); only what it cannot decide ends in `failed`, with `repairs` saying what will help.
 */

/** Krint's view of an instance, in the order of a normal life. */
export const INSTANCE_STATUSES = ['provisioning', 'ready', 'upgrading', 'restoring', 'failed', 'deleting'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** What a person (or the API) can ask of an instance. */
export const INSTANCE_ACTIONS = ['start', 'stop', 'restart', 'rename', 'rotate', 'upgrade', 'rollback', 'discard-previous', 'visibility', 'backup', 'restore', 'delete'] as const;
export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

/** Every allowed change of status; anything else is a bug. */
export const TRANSITIONS: Readonly<Record<InstanceStatus, readonly InstanceStatus[]>> = {
  provisioning: ['ready', 'failed'],
  ready: ['upgrading', 'restoring', 'deleting', 'failed'],
  upgrading: ['ready', 'failed'],
  restoring: ['ready', 'failed'],
  failed: ['ready', 'upgrading', 'restoring', 'deleting'],
  deleting: ['ready', 'failed'],
};

/** The actions each status permits, before the facts of one instance narrow them (see `allowedActions`). */
const PERMITTED: Readonly<Record<InstanceStatus, readonly InstanceAction[]>> = {
  provisioning: ['rename'],
  ready: ['start', 'stop', 'restart', 'rename', 'rotate', 'upgrade', 'rollback', 'discard-previous', 'visibility', 'backup', 'restore', 'delete'],
  upgrading: ['rename'],
  restoring: ['rename'],
  // The actions that can repair a failed instance; `repairsFor` says why each one helps.
  failed: ['start', 'restart', 'rollback', 'backup', 'restore', 'rename', 'delete'],
  deleting: [],
};

/** The status an action holds the instance in while it runs; actions without one leave it as it is. */
const CLAIMS: Partial<Readonly<Record<InstanceAction, InstanceStatus>>> = {
  upgrade: 'upgrading',
  visibility: 'upgrading',
  rollback: 'upgrading',
  'discard-previous': 'upgrading',
  restore: 'restoring',
  delete: 'deleting',
};

/** The facts of one instance that decide which of its status's actions make sense. */
export interface LifecycleFacts {
  readonly status: InstanceStatus;
  readonly containerId: string | null;
  readonly previousContainerId: string | null;
}

/** The actions this instance allows now, in `INSTANCE_ACTIONS` order. */
export function allowedActions(instance: LifecycleFacts): InstanceAction[] {
  return PERMITTED[instance.status].filter((action) => factsAllow(instance, action));
}

function factsAllow(instance: LifecycleFacts, action: InstanceAction): boolean {
  switch (action) {
    case 'rollback':
    case 'discard-previous':
      return instance.previousContainerId !== null;
    case 'rename':
    case 'delete':
      return true;
    default:
      // Everything else acts on the container.
      return instance.containerId !== null;
  }
}

export interface Repair {
  readonly action: InstanceAction;
  readonly description: string;
}

/** What can bring a failed instance back, and why; empty for any other status. */
export function repairsFor(instance: LifecycleFacts): Repair[] {
  if (instance.status !== 'failed') return [];
  const descriptions: Partial<Record<InstanceAction, string>> = {
    start: 'Start the container again and wait until the engine answers.',
    restart: 'Restart the container and wait until the engine answers.',
    rollback: 'Return to the container and version kept by the last upgrade.',
    restore: 'Restore a backup into it; use this when a restore was cut short.',
    backup: 'Take a backup of what is there before anything else.',
    delete: 'Remove the instance with every container and volume labelled for it.',
  };
  return allowedActions(instance).flatMap((action) => (descriptions[action] ? [{ action, description: descriptions[action]! }] : []));
}

/** A sentence listing what the instance allows, for messages ("start it again or delete it"). */
export function repairSentence(instance: LifecycleFacts): string {
  const repairs = repairsFor(instance).filter((repair) => repair.action !== 'backup');
  const words: Record<string, string> = { start: 'start it again', restart: 'restart it', rollback: 'roll back the upgrade', restore: 'restore a backup into it', delete: 'delete it' };
  const phrases = repairs.map((repair) => words[repair.action]).filter(Boolean);
  if (phrases.length === 0) return 'delete it';
  return phrases.length === 1 ? phrases[0]! : `${phrases.slice(0, -1).join(', ')} or ${phrases.at(-1)}`;
}

/** The statuses from which `action` may start, derived from `PERMITTED`. */
export function statusesAllowing(action: InstanceAction): InstanceStatus[] {
  return INSTANCE_STATUSES.filter((status) => PERMITTED[status].includes(action));
}

/** The status the instance holds while `action` runs, or null when the action does not claim it. */
export function claimedStatus(action: InstanceAction): InstanceStatus | null {
  return CLAIMS[action] ?? null;
}

/** True when moving from `from` to `to` is one of the `TRANSITIONS` (or stays put). */
export function canTransition(from: InstanceStatus, to: InstanceStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Why `action` is refused now, or null when it is allowed. */
export function refusal(instance: LifecycleFacts & { readonly name: string }, action: InstanceAction): string | null {
  if (allowedActions(instance).includes(action)) return null;
  if (!PERMITTED[instance.status].includes(action)) {
    const when = statusesAllowing(action).join(' or ');
    if (instance.status === 'failed') return `Instance "${instance.name}" failed; ${action} cannot repair it. You can ${repairSentence(instance)}.`;
    return `Instance "${instance.name}" is ${instance.status}; ${action} is possible when it is ${when}.`;
  }
  if (action === 'rollback' || action === 'discard-previous') return `Instance "${instance.name}" keeps no previous version.`;
  return `Instance "${instance.name}" has no container; you can ${repairSentence(instance)}.`;
}
