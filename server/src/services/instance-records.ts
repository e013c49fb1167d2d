import { Backup } from '../db/entities.js';
import type { BackupFiles } from '../backups/files.js';
import type { ServiceDeps } from './context.js';
import { forgetInstance } from './instances.js';

/**
 * Removes what Krint stores about an instance ({@link forgetInstance}: its row with the sealed root
 * password, managed databases and users, schedules) and, when asked, its backups with their files.
 * The container is not touched: forgetting an instance on a node that is gone leaves it where it is.
 */
export async function removeInstanceRecords(deps: Pick<ServiceDeps, 'orm'>, files: BackupFiles, id: string, deleteBackups: boolean): Promise<void> {
  await forgetInstance(deps, id);
  if (!deleteBackups) return;
  const em = deps.orm.em.fork();
  for (const backup of await em.find(Backup, { instanceId: id })) await files.removeFile(backup.file);
  await em.nativeDelete(Backup, { instanceId: id });
}
