import { ref } from 'vue';
import { messageOf, unwrap, type TypedError } from '../../api/errors.js';
import { follow, mutate } from '../../api/request.js';
import { confirmAction } from '../../components/confirm.js';
import { toast } from '../../components/toasts.js';
import { DELETE_INSTANCE, OPERATION_PROGRESS_BY_ID, RENAME, RESTART, ROLLBACK, START, STOP, UPGRADE, VISIBILITY, type InstanceRow, type Progress } from './instances.js';

/** An operation followed live in a dialog (upgrade, visibility, rollback). */
export interface TrackedOperation {
  title: string;
  events: Progress[];
  done: boolean;
}

/**
 * The row actions shared by the list and the details page. Every destructive one asks first,
 * naming what goes away; errors come back as the server's typed message in a toast.
 */
export function useInstanceActions(onChanged: () => void) {
  const busy = ref<string | null>(null);
  const tracked = ref<TrackedOperation | null>(null);

  async function run(instance: InstanceRow, label: string, work: () => Promise<unknown>, success: string): Promise<boolean> {
    busy.value = instance.id;
    try {
      await work();
      toast.success(success);
      return true;
    } catch (error) {
      toast.error(`${label} ${instance.name}: ${messageOf(error)}`);
      return false;
    } finally {
      busy.value = null;
      onChanged();
    }
  }

  const lifecycle = async (document: typeof START, field: string, instance: InstanceRow, variables: Record<string, unknown> = {}) => {
    const data = await mutate(document, { id: instance.id, ...variables });
    return unwrap(data[field] as InstanceRow | TypedError, field);
  };

  /** Follows the operation a mutation started, by its id (so it is this one, and it always ends). */
  function track(operationId: string | undefined, title: string): void {
    if (!operationId) return;
    const state: TrackedOperation = { title, events: [], done: false };
    tracked.value = state;
    const stop = follow(OPERATION_PROGRESS_BY_ID, { operationId }, (data) => {
      if (tracked.value?.title !== title) return stop();
      tracked.value = { ...tracked.value, events: [...tracked.value.events, data.operationProgress], done: data.operationProgress.done };
      if (data.operationProgress.done) {
        stop();
        onChanged();
      }
    });
  }

  return {
    busy,
    tracked,
    start: (i: InstanceRow) => run(i, 'Could not start', () => lifecycle(START, 'startInstance', i), `${i.name} started`),
    stop: async (i: InstanceRow) => {
      const { confirmed } = await confirmAction({ title: `Stop ${i.name}?`, message: `Clients connected to ${i.name} are disconnected until you start it again. Data is kept.`, confirmLabel: 'Stop' });
      if (confirmed) await run(i, 'Could not stop', () => lifecycle(STOP, 'stopInstance', i), `${i.name} stopped`);
    },
    restart: (i: InstanceRow) => run(i, 'Could not restart', () => lifecycle(RESTART, 'restartInstance', i), `${i.name} restarted`),
    rename: (i: InstanceRow, name: string) => run(i, 'Could not rename', () => lifecycle(RENAME, 'renameInstance', i, { name }), `Renamed to ${name}`),
    setVisibility: async (i: InstanceRow) => {
      const makePublic = !i.isPublic;
      const { confirmed } = await confirmAction({
        title: makePublic ? `Make ${i.name} public?` : `Make ${i.name} private?`,
        message: makePublic
          ? `The container is recreated on port ${i.hostPort ?? '—'} bound to every network interface (0.0.0.0), so other machines can connect. Data is moved and verified; connections drop briefly.`
          : `The container is recreated bound to 127.0.0.1 only, so only this machine can connect. Data is moved and verified; connections drop briefly.`,
        confirmLabel: makePublic ? 'Make public' : 'Make private',
      });
      if (!confirmed) return;
      let started: InstanceRow | undefined;
      const ok = await run(i, 'Could not change visibility of', async () => (started = await lifecycle(VISIBILITY, 'setInstanceVisibility', i, { isPublic: makePublic })), `Changing visibility of ${i.name}`);
      if (ok) track(started?.activeOperation?.id, `Visibility of ${i.name}`);
    },
    upgrade: async (i: InstanceRow, version: string) => {
      let started: InstanceRow | undefined;
      const ok = await run(i, 'Could not upgrade', async () => (started = await lifecycle(UPGRADE, 'upgradeInstance', i, { version })), `Upgrading ${i.name} to ${version}`);
      if (ok) track(started?.activeOperation?.id, `Upgrade ${i.name} to ${version}`);
    },
    rollback: async (i: InstanceRow) => {
      const { confirmed } = await confirmAction({ title: `Roll back ${i.name}?`, message: `Returns to version ${i.previousVersion ?? 'before the upgrade'}. Changes made since the upgrade are not carried back.`, confirmLabel: 'Roll back', danger: true });
      if (!confirmed) return;
      // The rollback is done when the mutation answers; the toast says so.
      await run(i, 'Could not roll back', () => lifecycle(ROLLBACK, 'rollbackUpgrade', i), `${i.name} is back on ${i.previousVersion ?? 'the previous version'}`);
    },
    remove: async (i: InstanceRow): Promise<boolean> => {
      const { confirmed, option } = await confirmAction({
        title: `Delete ${i.name}?`,
        message: 'This permanently removes:',
        items: [`the ${i.engine.displayName} ${i.version} container and all its data`, 'its storage volume', 'its stored root and user passwords'],
        option: 'Also delete every backup of this instance',
        confirmLabel: 'Delete instance',
        danger: true,
        typeToConfirm: i.name,
      });
      if (!confirmed) return false;
      return run(
        i,
        'Could not delete',
        async () => {
          const data = await mutate(DELETE_INSTANCE, { id: i.id, deleteBackups: option });
          unwrap(data.deleteInstance, 'deleteInstance');
        },
        `${i.name} deleted`,
      );
    },
  };
}

