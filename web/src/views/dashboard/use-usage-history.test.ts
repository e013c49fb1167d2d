import { describe, expect, it } from 'vitest';
import { appendSnapshot } from './use-usage-history.js';

describe('usage history', () => {
  it('appends per instance, caps the length and drops deleted instances', () => {
    let history = appendSnapshot(new Map(), [{ instanceId: 'a', cpuPercent: 10, memoryBytes: 100 }, { instanceId: 'b', cpuPercent: null, memoryBytes: null }], 3);
    history = appendSnapshot(history, [{ instanceId: 'a', cpuPercent: 20, memoryBytes: 200 }], 3);
    history = appendSnapshot(history, [{ instanceId: 'a', cpuPercent: 30, memoryBytes: 300 }], 3);
    history = appendSnapshot(history, [{ instanceId: 'a', cpuPercent: -1, memoryBytes: 400 }], 3);
    expect(history.get('a')).toEqual([{ cpu: 20, memory: 200 }, { cpu: 30, memory: 300 }, { cpu: 0, memory: 400 }]);
    expect(history.has('b')).toBe(false);
  });
});
