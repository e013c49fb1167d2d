import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type KrintOrm } from '../db/orm.js';
import { OperationTracker, type OperationProgress } from './progress.js';

async function collect(iterable: AsyncIterable<OperationProgress>): Promise<OperationProgress[]> {
  const items: OperationProgress[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

let orm: KrintOrm;
beforeAll(async () => {
  orm = await openDatabase({ kind: 'sqlite', file: path.join(mkdtempSync(path.join(tmpdir(), 'krint-ops-')), 'state.db') });
});
afterAll(async () => {
  await orm?.close(true);
});

const base = { instanceName: 'orders', actor: 'test' } as const;

describe('OperationTracker', () => {
  it('replays the steps a late subscriber missed, then follows to the end, and stores the steps', async () => {
    const tracker = new OperationTracker(orm);
    const run = await tracker.begin({ ...base, kind: 'upgrade', instanceId: 'i1' });
    run.step('backup', 'Taking a backup');
    const following = collect(tracker.follow(run.id));
    run.step('restore', 'Restoring', 10, 100);
    run.step('restore', 'Restoring', 50, 100);
    await run.succeed('Upgraded');
    const events = await following;
    expect(events.map((e) => e.phase)).toEqual(['backup', 'restore', 'restore', 'done']);
    expect(events[1]).toMatchObject({ current: 10, total: 100, done: false, operationId: run.id });
    expect(events.at(-1)).toMatchObject({ done: true, error: null, state: 'succeeded' });
    const row = await tracker.get(run.id);
    expect(row).toMatchObject({ state: 'succeeded', message: 'Upgraded', error: null, owner: tracker.owner });
    expect(row.steps.map((step) => step.phase)).toEqual(['backup', 'restore']);
    expect(row.finishedAt).toBeInstanceOf(Date);
  });

  it('lets a subscriber wait for the next operation of a kind, and never replays one that ended before it came', async () => {
    const tracker = new OperationTracker(orm);
    await (await tracker.begin({ ...base, kind: 'restore', instanceId: 'i2' })).succeed('the earlier restore');
    const following = collect(tracker.followKind('i2', 'restore'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await tracker.begin({ ...base, kind: 'restore', instanceId: 'i2' });
    await next.fail(new Error('Image missing'));
    const events = await following;
    expect(events).toEqual([expect.objectContaining({ phase: 'failed', done: true, state: 'failed', error: 'Image missing', operationId: next.id })]);
  });

  it('tells a late subscriber how a provision ended (there is one per instance)', async () => {
    const tracker = new OperationTracker(orm);
    const run = await tracker.begin({ ...base, kind: 'provision', instanceId: 'i3' });
    run.step('pull', 'Pulling');
    await run.fail('Provisioning failed and was undone: no image');
    const events = await collect(tracker.followKind('i3', 'provision'));
    expect(events.map((e) => e.phase)).toEqual(['pull', 'failed']);
    expect(events.at(-1)).toMatchObject({ done: true, state: 'failed', error: 'Provisioning failed and was undone: no image' });
  });

  it('ends every follow after a restart: an operation left running is marked interrupted', async () => {
    const before = new OperationTracker(orm);
    const run = await before.begin({ ...base, kind: 'provision', instanceId: 'i4' });
    await run.checkpoint('create', 'Creating the container');
    // A new process on the same database: the old one is gone without a word.
    const after = new OperationTracker(orm);
    const abandoned = await after.interruptAbandoned();
    expect(abandoned.map((row) => row.id)).toContain(run.id);
    const events = await collect(after.follow(run.id));
    expect(events.map((e) => e.phase)).toEqual(['create', 'interrupted']);
    expect(events.at(-1)).toMatchObject({ done: true, state: 'interrupted' });
    const late = await collect(after.followKind('i4', 'provision'));
    expect(late.at(-1)).toMatchObject({ done: true, state: 'interrupted' });
  });

  it('cancels a backup (its code sees the signal) and refuses to cancel an upgrade', async () => {
    const tracker = new OperationTracker(orm);
    const backup = await tracker.begin({ ...base, kind: 'backup', instanceId: 'i5' });
    backup.signal.addEventListener('abort', () => void backup.fail(new Error('dump stopped')));
    const cancelled = await tracker.cancel(backup.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: expect.stringMatching(/^Cancelled: dump stopped/) });
    const upgrade = await tracker.begin({ ...base, kind: 'upgrade', instanceId: 'i5' });
    await expect(tracker.cancel(upgrade.id)).rejects.toThrow(/cannot be cancelled/);
    await expect(tracker.cancel(backup.id)).rejects.toThrow(/already ended \(cancelled\)/);
    await upgrade.succeed('ok');
  });

  it('on shutdown lets short operations finish, marks the rest interrupted, ends their followers and starts nothing new', async () => {
    const tracker = new OperationTracker(orm);
    const quick = await tracker.begin({ ...base, kind: 'rotate', instanceId: 'i6' });
    const slow = await tracker.begin({ ...base, kind: 'upgrade', instanceId: 'i6' });
    const following = collect(tracker.follow(slow.id));
    setTimeout(() => void quick.succeed('rotated'), 20);
    const interrupted = await tracker.shutdown(200);
    expect(interrupted).toEqual([slow.id]);
    expect(slow.signal.aborted).toBe(true);
    expect((await tracker.get(quick.id)).state).toBe('succeeded');
    expect((await tracker.get(slow.id)).state).toBe('interrupted');
    expect((await following).at(-1)).toMatchObject({ done: true, state: 'interrupted' });
    // The undo the abort sets off cannot turn it into a failure.
    await slow.fail(new Error('aborted'));
    expect((await tracker.get(slow.id)).state).toBe('interrupted');
    await expect(tracker.begin({ ...base, kind: 'backup', instanceId: 'i6' })).rejects.toThrow(/shutting down/);
  });

  it('lists operations newest first by instance, kind and state', async () => {
    const tracker = new OperationTracker(orm);
    const listed = await tracker.list({ instanceId: 'i5' });
    expect(listed.map((row) => row.kind)).toEqual(['upgrade', 'backup']);
    expect((await tracker.list({ state: 'cancelled' })).every((row) => row.state === 'cancelled')).toBe(true);
    await expect(tracker.get('nope')).rejects.toThrow(/No operation with id "nope"/);
    await expect(tracker.list({ limit: 0 })).rejects.toThrow('The limit must be between 1 and 500, not 0.');
    await expect(tracker.list({ limit: 501 })).rejects.toThrow(/between 1 and 500/);
  });
});
