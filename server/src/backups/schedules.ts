import { InvalidInputError, NotFoundError } from '@krint/engine-sdk';
import { Cron } from 'croner';
import { Backup, BackupSchedule } from '../db/entities.js';
import { describeError } from '../errors.js';
import { audited, loadInstance, type Actor, type ServiceDeps } from '../services/context.js';
import { expiredBackups } from './retention.js';
import { backupSupport, type BackupService } from './service.js';

export interface ScheduleInput {
  readonly instanceId: string;
  readonly cron: string;
  readonly enabled?: boolean | null;
  readonly retentionCount?: number | null;
  readonly retentionDays?: number | null;
}

const SCHEDULER_ACTOR = 'scheduler';

/** Checks a cron expression (5 fields, or 6 with seconds; UTC) and returns the next run after `from`. */
export function parseCron(expression: string, from = new Date()): Date {
  const text = (expression ?? '').trim();
  let job: Cron;
  try {
    job = new Cron(text, { timezone: 'UTC', paused: true });
  } catch (error) {
    throw new InvalidInputError(`"${text}" is not a valid cron expression: ${describeError(error)}. Example: "0 3 * * *" is every day at 03:00 UTC.`, 'cron');
  }
  const next = job.nextRun(from);
  job.stop();
  if (!next) throw new InvalidInputError(`The cron expression "${text}" never fires.`, 'cron');
  return next;
}

/**
 * Backup schedules run in-process with croner, in UTC. Each run dumps the instance, then applies
 * the schedule's retention to the backups it made. Runs of one schedule never overlap.
 */
export class ScheduleService {
  readonly #jobs = new Map<string, Cron>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly backups: BackupService,
  ) {}

  /** Starts jobs for every enabled schedule; called once at start-up. */
  async start(): Promise<void> {
    for (const schedule of await this.deps.orm.em.fork().find(BackupSchedule, { enabled: true })) this.#arm(schedule);
  }

  stop(): void {
    for (const job of this.#jobs.values()) job.stop();
    this.#jobs.clear();
  }

  async list(instanceId?: string | null): Promise<BackupSchedule[]> {
    return this.deps.orm.em.fork().find(BackupSchedule, instanceId ? { instanceId } : {}, { orderBy: { createdAt: 'asc' } });
  }

  nextRun(schedule: BackupSchedule): Date | null {
    return schedule.enabled ? (this.#jobs.get(schedule.id)?.nextRun() ?? null) : null;
  }

  async create(input: ScheduleInput, actor: Actor): Promise<BackupSchedule> {
    const instance = await loadInstance(this.deps, input.instanceId);
    backupSupport(this.deps.engines.get(instance.engine));
    parseCron(input.cron);
    const retentionCount = positiveOrNull(input.retentionCount, 'retentionCount');
    const retentionDays = positiveOrNull(input.retentionDays, 'retentionDays');
    return audited(this.deps, { actor, action: 'schedule.create', targetType: 'instance', targetId: instance.id, targetName: instance.name, detail: input.cron.trim() }, async () => {
      const em = this.deps.orm.em.fork();
      const schedule = em.create(BackupSchedule, { instanceId: instance.id, cron: input.cron.trim(), enabled: input.enabled ?? true, retentionCount, retentionDays });
      await em.persistAndFlush(schedule);
      if (schedule.enabled) this.#arm(schedule);
      return schedule;
    });
  }

  async setEnabled(id: string, enabled: boolean, actor: Actor): Promise<BackupSchedule> {
    const em = this.deps.orm.em.fork();
    const schedule = await em.findOne(BackupSchedule, { id });
    if (!schedule) throw new NotFoundError(`No backup schedule with id "${id}".`);
    return audited(this.deps, { actor, action: enabled ? 'schedule.enable' : 'schedule.disable', targetType: 'schedule', targetId: id, targetName: schedule.cron }, async () => {
      schedule.enabled = enabled;
      await em.flush();
      if (enabled) this.#arm(schedule);
      else this.#disarm(id);
      return schedule;
    });
  }

  async delete(id: string, actor: Actor): Promise<{ id: string }> {
    const em = this.deps.orm.em.fork();
    const schedule = await em.findOne(BackupSchedule, { id });
    if (!schedule) throw new NotFoundError(`No backup schedule with id "${id}".`);
    return audited(this.deps, { actor, action: 'schedule.delete', targetType: 'schedule', targetId: id, targetName: schedule.cron }, async () => {
      this.#disarm(id);
      await em.removeAndFlush(schedule);
      return { id };
    });
  }

  /** Drops the jobs of an instance's schedules (the rows go with the instance). */
  forgetInstance(scheduleIds: readonly string[]): void {
    for (const id of scheduleIds) this.#disarm(id);
  }

  /** One run: dump, record the outcome on the schedule, apply retention. Never throws. */
  async runNow(scheduleId: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const schedule = await em.findOne(BackupSchedule, { id: scheduleId });
    if (!schedule) return this.#disarm(scheduleId);
    schedule.lastRunAt = new Date();
    try {
      await this.backups.backupNow(schedule.instanceId, SCHEDULER_ACTOR, 'scheduled', schedule.id);
      Object.assign(schedule, { lastStatus: 'succeeded', lastError: null });
      await this.#applyRetention(schedule);
    } catch (error) {
      Object.assign(schedule, { lastStatus: 'failed', lastError: describeError(error) });
    }
    await em.flush();
  }

  async #applyRetention(schedule: BackupSchedule): Promise<void> {
    if (schedule.retentionCount === null && schedule.retentionDays === null) return;
    const made = await this.deps.orm.em.fork().find(Backup, { scheduleId: schedule.id, status: 'succeeded' });
    const expired = expiredBackups(made, { keepLast: schedule.retentionCount, keepDays: schedule.retentionDays }, new Date());
    for (const backup of expired) await this.backups.delete(backup.id, SCHEDULER_ACTOR).catch(() => undefined);
  }

  #arm(schedule: BackupSchedule): void {
    this.#disarm(schedule.id);
    // `protect` skips a tick while the previous run is still going.
    const job = new Cron(schedule.cron, { timezone: 'UTC', protect: true, name: `backup-${schedule.id}` }, () => this.runNow(schedule.id));
    this.#jobs.set(schedule.id, job);
  }

  #disarm(id: string): void {
    this.#jobs.get(id)?.stop();
    this.#jobs.delete(id);
  }
}

function positiveOrNull(value: number | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new InvalidInputError(`${field} must be a whole number from 1 to 100000.`, field);
  return value;
}
