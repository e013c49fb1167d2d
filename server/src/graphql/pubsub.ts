import { createPubSub } from 'graphql-yoga';
import type { ActivityEntry } from '../db/entities.js';

/** Something happened to an instance; clients refetch what they show. */
export interface InstanceEvent {
  readonly instanceId: string;
  /** `created`, `status`, `renamed`, `visibility`, `password`, `upgraded`, `deleted`, `backup`... */
  readonly kind: string;
  readonly message: string;
  readonly at: Date;
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
