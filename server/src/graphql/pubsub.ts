import type { ContainerState } from '@krint/agent';
import { createPubSub } from 'graphql-yoga';
import type { ActivityEntry } from '../db/entities.js';

/** What `Instance.state` says: Docker's state of the container, or why it cannot be known. */
export type InstanceState = ContainerState | 'node-offline' | 'unknown';

/** Something happened to an instance; clients refetch what they show. */
export interface InstanceEvent {
  readonly instanceId: string;
  /**
   * `created`, `status`, `renamed`, `visibility`, `password`, `upgraded`, `deleted`, `backup`...;
   * `container` for what Docker reported of its container (whoever caused it), `node` for its
   * node connecting, disconnecting or being revoked.
   */
  readonly kind: string;
  readonly message: string;
  readonly at: Date;
  /** The instance's state after this event, when the event says it (`container` and `node` do). */
  readonly state?: InstanceState | null;
}

/** The one typed event map of the control plane. */
export type KrintEvents = {
  'instance.event': [InstanceEvent];
  'activity.recorded': [ActivityEntry];
};

export type KrintPubSub = ReturnType<typeof createKrintPubSub>;

export function createKrintPubSub() {
  return createPubSub<KrintEvents>();
}
