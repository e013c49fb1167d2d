import { describe, expect, it } from 'vitest';
import { CRON_PRESETS, formatUtc, parseRetention, previewCron, shortestInterval } from './use-cron-preview.js';

const from = new Date('2026-03-10T10:15:00Z');

describe('cron preview', () => {
  it('lists the next runs in UTC', () => {
    const preview = previewCron('0 2 * * *', 3, from);
    expect(preview.ok && preview.runs.map(formatUtc)).toEqual(['2026-03-11 02:00 UTC', '2026-03-12 02:00 UTC', '2026-03-13 02:00 UTC']);
  });

  it('accepts six fields with seconds first', () => {
    const preview = previewCron('30 */15 * * * *', 2, from);
    expect(preview.ok && preview.runs.map((d) => d.toISOString())).toEqual(['2026-03-10T10:15:30.000Z', '2026-03-10T10:30:30.000Z']);
  });

  it('explains what is wrong', () => {
    expect(previewCron('', 3, from)).toMatchObject({ ok: false, error: expect.stringMatching(/^Enter a cron expression/) });
    expect(previewCron('* * *', 3, from)).toEqual({ ok: false, error: 'A cron expression has 5 fields (minute hour day month weekday) or 6 with seconds first; this one has 3.' });
    const bad = previewCron('99 * * * *', 3, from);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^Not a valid cron expression/);
  });

  it('every preset is valid', () => {
    for (const preset of CRON_PRESETS) expect(previewCron(preset.cron, 2, from).ok).toBe(true);
  });

  it('finds the shortest gap between runs', () => {
    const preview = previewCron('*/5 * * * *', 4, from);
    expect(preview.ok && shortestInterval(preview.runs)).toBe(5 * 60_000);
    expect(shortestInterval([])).toBeNull();
  });

  it('parses retention', () => {
    expect(parseRetention('', 'Keep')).toEqual({ ok: true, value: null });
    expect(parseRetention(' 7 ', 'Keep')).toEqual({ ok: true, value: 7 });
    expect(parseRetention('0', 'Keep')).toMatchObject({ ok: false });
    expect(parseRetention('2.5', 'Keep')).toMatchObject({ ok: false });
  });
});
