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

/** A schedule that runs more often than this must say how many of its backups to keep (or for how long). */
export const RETENTION_REQUIRED_BELOW_SECONDS = 3600;

/**
 * How many upcoming runs are compared to find a schedule's shortest interval. A cron expression
 * repeats the same times on every day it matches, so its tightest gap shows within its first day
 * or first pair of adjacent days; 1,000 runs reach far past that for anything near the limit.
 */
const INTERVAL_SAMPLE_RUNS = 1000;

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

/** The shortest time in seconds between two of the next runs of a valid cron expression. */
export function shortestIntervalSeconds(expression: string, from = new Date()): number {
  // A fixed offset of 0 is UTC too, and computes runs without Intl: a hundred times faster.
  const job = new Cron(expression.trim(), { utcOffset: 0, paused: true });
  const runs = job.nextRuns(INTERVAL_SAMPLE_RUNS, from);
  job.stop();
  let shortest = Infinity;
  for (let i = 1; i < runs.length; i++) shortest = Math.min(shortest, (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
  return shortest;
}

/** What makes a schedule acceptable: a valid expression, not too frequent, and retention when it is frequent. */
export interface ScheduleRules {
  /** `Backups__MinScheduleIntervalSeconds`. */
  readonly minIntervalSeconds: number;
}

/**
 * Refuses a schedule that would fill the disk: one that runs more often than the configured
 * minimum, or more often than hourly without retention (a per-second schedule makes 86,400 dumps
 * a day). Returns nothing; throws {@link InvalidInputError} naming the field to change.
 */
export function checkSchedule(cron: string, retention: { readonly retentionCount: number | null; readonly retentionDays: number | null }, rules: ScheduleRules, from = new Date()): void {
  parseCron(cron, from);
  const interval = shortestIntervalSeconds(cron, from);
  if (interval < rules.minIntervalSeconds) {
    throw new InvalidInputError(
      `The schedule "${cron.trim()}" runs as often as every ${interval} s; the shortest interval allowed is ${rules.minIntervalSeconds} s (Backups__MinScheduleIntervalSeconds).`,
      'cron',
    );
  }
  if (interval < RETENTION_REQUIRED_BELOW_SECONDS && retention.retentionCount === null && retention.retentionDays === null) {
    throw new InvalidInputError(
      `The schedule "${cron.trim()}" runs more often than hourly (as often as every ${interval} s); set retentionCount or retentionDays so its backups do not fill the disk.`,
      'retentionCount',
    );
  }
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

  /**
   * Starts jobs for every enabled schedule; called once at start-up. A stored schedule the rules
   * refuse now (the minimum interval was raised) is not started: it is disabled, and its last
   * error says why.
   */
  async start(): Promise<void> {
    const em = this.deps.orm.em.fork();
    for (const schedule of await em.find(BackupSchedule, { enabled: true })) {
      try {
        checkSchedule(schedule.cron, schedule, this.#rules);
      } catch (error) {
        Object.assign(schedule, { enabled: false, lastStatus: 'failed', lastError: `Disabled at start: ${describeError(error)}` });
        continue;
      }
      this.#arm(schedule);
    }
    await em.flush();
  }

  get #rules(): ScheduleRules {
    return { minIntervalSeconds: this.deps.config.backups.minScheduleIntervalSeconds };
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
    const retentionCount = positiveOrNull(input.retentionCount, 'retentionCount');
    const retentionDays = positiveOrNull(input.retentionDays, 'retentionDays');
    checkSchedule(input.cron, { retentionCount, retentionDays }, this.#rules);
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
    if (enabled) checkSchedule(schedule.cron, schedule, this.#rules);
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
