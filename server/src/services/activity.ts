import type { EntityManager } from '@mikro-orm/core';
import { InvalidInputError } from '@krint/engine-sdk';
import type { KrintOrm } from '../db/orm.js';
import { ActivityEntry, type ActivityOutcome } from '../db/entities.js';

export interface ActivityRecord {
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId?: string | null;
  readonly targetName?: string | null;
  readonly outcome?: ActivityOutcome;
  readonly detail?: string | null;
}

/** Most entries one page of the activity log returns. */
export const MAX_ACTIVITY_PAGE = 500;

export interface ActivityPage {
  readonly entries: ActivityEntry[];
  /** Pass back as `before` for the next (older) page; null on the last page. */
  readonly nextCursor: number | null;
}

/** The activity log: every change, who made it, to what, when, and how it ended. */
export class ActivityLog {
  constructor(
    private readonly orm: KrintOrm,
    private readonly onRecord: (entry: ActivityEntry) => void = () => undefined,
    /**
     * Applied to every detail before it is stored: viewers read the log, and a detail can quote a
     * tool's output (a restore's failing `ALTER ROLE … PASSWORD '…'`). The engines' password
     * patterns in production (see `app.ts`); details are meant to hold no secret in the first place.
     */
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  async record(record: ActivityRecord): Promise<ActivityEntry> {
    const em = this.orm.em.fork();
    const entry = em.create(ActivityEntry, {
      actor: record.actor,
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId ?? null,
      targetName: record.targetName ?? null,
      outcome: record.outcome ?? 'succeeded',
      detail: record.detail === undefined || record.detail === null ? null : this.redact(record.detail),
      at: new Date(),
    });
    await em.persistAndFlush(entry);
    this.onRecord(entry);
    return entry;
  }

  /** Newest first; `before` is the cursor of the previous page. */
  async page(options: { readonly first: number; readonly before?: number | null; readonly targetId?: string | null }, em: EntityManager = this.orm.em.fork()): Promise<ActivityPage> {
    const { first } = options;
    if (!Number.isInteger(first) || first < 1 || first > MAX_ACTIVITY_PAGE) throw new InvalidInputError(`first must be from 1 to ${MAX_ACTIVITY_PAGE}, not ${first}.`, 'first');
    const where: Record<string, unknown> = {};
    if (options.before !== undefined && options.before !== null) where.id = { $lt: options.before };
    if (options.targetId) where.targetId = options.targetId;
    const rows = await em.find(ActivityEntry, where, { orderBy: { id: 'desc' }, limit: first + 1 });
    const entries = rows.slice(0, first);
    return { entries, nextCursor: rows.length > first ? (entries[entries.length - 1]?.id ?? null) : null };
  }
}
