import { describe, expect, it } from 'vitest';
import { checkSchedule, parseCron, shortestIntervalSeconds } from './schedules.js';

describe('parseCron', () => {
  const from = new Date('2026-03-10T12:34:56Z');

  it('evaluates five-field expressions in UTC', () => {
    expect(parseCron('0 3 * * *', from).toISOString()).toBe('2026-03-11T03:00:00.000Z');
    expect(parseCron('*/15 * * * *', from).toISOString()).toBe('2026-03-10T12:45:00.000Z');
  });

  it('accepts a seconds field', () => {
    expect(parseCron('*/5 * * * * *', from).toISOString()).toBe('2026-03-10T12:35:00.000Z');
  });

  it('rejects nonsense with an example of a valid expression', () => {
    expect(() => parseCron('every day', from)).toThrow(/not a valid cron expression.*0 3 \* \* \*/);
    expect(() => parseCron('61 * * * *', from)).toThrow(/not a valid cron expression/);
  });
});

describe('schedule rules', () => {
  const from = new Date('2026-03-10T12:34:56Z');
  const none = { retentionCount: null, retentionDays: null };
  const rules = { minIntervalSeconds: 60 };

  it('finds the shortest gap between runs, including the uneven ones', () => {
    expect(shortestIntervalSeconds('* * * * * *', from)).toBe(1);
    expect(shortestIntervalSeconds('*/15 * * * *', from)).toBe(900);
    expect(shortestIntervalSeconds('0 3 * * *', from)).toBe(86_400);
    // 00:00:00 and 00:00:30 once a day: the day's other gap is almost 24 hours.
    expect(shortestIntervalSeconds('0,30 0 0 * * *', from)).toBe(30);
    // 23:59 and 00:00 of the next day.
    expect(shortestIntervalSeconds('0 0,59 0,23 * * *', from)).toBe(60);
  });

  it('refuses a schedule that runs more often than the minimum interval, retention or not', () => {
    expect(() => checkSchedule('* * * * * *', { retentionCount: 1, retentionDays: null }, rules, from)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', field: 'cron', message: expect.stringMatching(/every 1 s; the shortest interval allowed is 60 s \(Backups__MinScheduleIntervalSeconds\)/) }),
    );
    expect(() => checkSchedule('0,30 0 0 * * *', { retentionCount: 1, retentionDays: null }, rules, from)).toThrow(/every 30 s/);
    expect(() => checkSchedule('*/3 * * * * *', { retentionCount: 1, retentionDays: null }, { minIntervalSeconds: 1 }, from)).not.toThrow();
  });

  it('asks a schedule that runs more often than hourly for retention', () => {
    expect(() => checkSchedule('* * * * *', none, rules, from)).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: 'retentionCount', message: expect.stringMatching(/more often than hourly.*set retentionCount or retentionDays/) }));
    expect(() => checkSchedule('* * * * *', { retentionCount: null, retentionDays: 2 }, rules, from)).not.toThrow();
    expect(() => checkSchedule('0 * * * *', none, rules, from)).not.toThrow();
    expect(() => checkSchedule('0 3 * * *', none, rules, from)).not.toThrow();
  });

  it('reports an invalid expression before anything else', () => {
    expect(() => checkSchedule('every day', none, rules, from)).toThrow(expect.objectContaining({ field: 'cron', message: expect.stringMatching(/not a valid cron expression/) }));
  });
});
