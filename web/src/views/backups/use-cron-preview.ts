import { Cron } from 'croner';

/** Ready-made schedules; the server runs cron in UTC. */
export const CRON_PRESETS = [
  { label: 'Every hour', cron: '0 * * * *' },
  { label: 'Every 6 hours', cron: '0 */6 * * *' },
  { label: 'Daily at 02:00 UTC', cron: '0 2 * * *' },
  { label: 'Weekly, Sunday 03:00 UTC', cron: '0 3 * * 0' },
  { label: 'Monthly, 1st at 04:00 UTC', cron: '0 4 1 * *' },
] as const;

export type CronPreview = { ok: true; runs: Date[] } | { ok: false; error: string };

/**
 * The next `count` runs of `expression` after `from`, in UTC, or why the expression is refused.
 * Accepts 5 fields, or 6 with seconds first (what the server accepts).
 */
export function previewCron(expression: string, count = 5, from: Date = new Date()): CronPreview {
  const trimmed = expression.trim().replace(/\s+/g, ' ');
  if (trimmed === '') return { ok: false, error: 'Enter a cron expression, e.g. 0 2 * * * for daily at 02:00 UTC.' };
  const fields = trimmed.split(' ').length;
  if (fields !== 5 && fields !== 6) return { ok: false, error: `A cron expression has 5 fields (minute hour day month weekday) or 6 with seconds first; this one has ${fields}.` };
  try {
    const cron = new Cron(trimmed, { timezone: 'UTC', paused: true });
    const runs = cron.nextRuns(count, from);
    cron.stop();
    if (runs.length === 0) return { ok: false, error: 'This expression never runs.' };
    return { ok: true, runs };
  } catch (error) {
    return { ok: false, error: `Not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}` };
  }
}

/** The smallest gap between consecutive runs, to warn about schedules that run very often. */
export function shortestInterval(runs: readonly Date[]): number | null {
  let shortest: number | null = null;
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i]!.getTime() - runs[i - 1]!.getTime();
    if (shortest === null || gap < shortest) shortest = gap;
  }
  return shortest;
}

/** Retention as the server takes it: positive whole numbers or nothing. */
export function parseRetention(text: string, what: string): { ok: true; value: number | null } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  const value = Number(trimmed);
  if (!Number.isInteger(value) || value < 1) return { ok: false, error: `${what} must be a whole number of at least 1, or empty to keep everything.` };
  return { ok: true, value };
}

/** "2026-01-02 02:00 UTC": runs are shown in UTC, the zone the server uses. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
