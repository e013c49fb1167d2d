import { describe, expect, it } from 'vitest';
import { parseCron } from './schedules.js';

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
