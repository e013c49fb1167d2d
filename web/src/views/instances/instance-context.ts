import { inject, type InjectionKey, type Ref } from 'vue';
import type { InstanceDetail } from './instances.js';

/** The instance the tabbed pages share, loaded once by `InstanceLayout` and kept live. */
export interface InstanceContext {
  readonly instance: Ref<InstanceDetail | undefined>;
  reload(quiet?: boolean): Promise<void>;
}

export const INSTANCE_CONTEXT: InjectionKey<InstanceContext> = Symbol('instance');

export function useInstanceContext(): InstanceContext {
  const context = inject(INSTANCE_CONTEXT);
  if (!context) throw new Error('Instance pages must render inside InstanceLayout.');
  return context;
}
