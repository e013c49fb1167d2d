import { describe, expect, it } from 'vitest';
import { expiredBackups } from './retention.js';

const now = new Date('2026-03-10T12:00:00Z');
const daysAgo = (id: string, days: number) => ({ id, createdAt: new Date(now.getTime() - days * 86_400_000) });
const backups = [daysAgo('d0', 0), daysAgo('d3', 3), daysAgo('d1', 1), daysAgo('d10', 10), daysAgo('d5', 5)];

describe('expiredBackups', () => {
  it('keeps the newest N', () => {
    expect(expiredBackups(backups, { keepLast: 2, keepDays: null }, now).map((b) => b.id)).toEqual(['d3', 'd5', 'd10']);
  });

  it('removes backups older than D days', () => {
    expect(expiredBackups(backups, { keepLast: null, keepDays: 4 }, now).map((b) => b.id)).toEqual(['d5', 'd10']);
  });

  it('applies both rules and never removes the newest backup', () => {
    expect(expiredBackups(backups, { keepLast: 4, keepDays: 2 }, now).map((b) => b.id)).toEqual(['d3', 'd5', 'd10']);
    expect(expiredBackups([daysAgo('old', 30)], { keepLast: null, keepDays: 1 }, now)).toEqual([]);
    expect(expiredBackups(backups, { keepLast: 0, keepDays: null }, now).map((b) => b.id)).toEqual(['d1', 'd3', 'd5', 'd10']);
  });

  it('keeps everything without a policy', () => {
    expect(expiredBackups(backups, { keepLast: null, keepDays: null }, now)).toEqual([]);
  });
});
