/** Retention of one schedule: keep the newest N backups, and/or those younger than D days. */
export interface RetentionPolicy {
  readonly keepLast: number | null;
  readonly keepDays: number | null;
}

export interface RetainedBackup {
  readonly id: string;
  readonly createdAt: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Which backups a policy removes. Both rules apply when both are set (a backup goes when either
 * says so), but the newest backup is always kept, so retention never leaves a schedule with none.
 */
export function expiredBackups<T extends RetainedBackup>(backups: readonly T[], policy: RetentionPolicy, now: Date): T[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return newestFirst.filter((backup, index) => {
    if (index === 0) return false;
    if (policy.keepLast !== null && index >= policy.keepLast) return true;
    if (policy.keepDays !== null && now.getTime() - backup.createdAt.getTime() > policy.keepDays * DAY_MS) return true;
    return false;
  });
}
