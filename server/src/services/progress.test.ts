import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progress.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('ProgressTracker', () => {
  it('replays the steps a late subscriber missed, then follows to the end', async () => {
    const tracker = new ProgressTracker();
    const reporter = tracker.begin('i1', 'upgrade');
    reporter.step('backup', 'Taking a backup');
    const following = collect(tracker.follow('i1', 'upgrade'));
    reporter.step('restore', 'Restoring', 10, 100);
    reporter.succeed('Upgraded');
    const events = await following;
    expect(events.map((e) => e.phase)).toEqual(['backup', 'restore', 'done']);
    expect(events[1]).toMatchObject({ current: 10, total: 100, done: false });
    expect(events[2]).toMatchObject({ done: true, error: null });
  });

  it('lets a subscriber wait for an operation that has not started yet', async () => {
    const tracker = new ProgressTracker();
    const following = collect(tracker.follow('i2', 'provision'));
    const reporter = tracker.begin('i2', 'provision');
    reporter.fail('Image missing');
    expect(await following).toEqual([expect.objectContaining({ phase: 'failed', done: true, error: 'Image missing' })]);
  });

  it('keeps operations of different instances and kinds apart, and a new run replaces the old history', async () => {
    const tracker = new ProgressTracker();
    tracker.begin('i3', 'upgrade').succeed('first run');
    tracker.begin('i3', 'visibility').succeed('other kind');
    const second = tracker.begin('i3', 'upgrade');
    const following = collect(tracker.follow('i3', 'upgrade'));
    second.succeed('second run');
    expect((await following).map((e) => e.message)).toEqual(['second run']);
  });

  it('stops following when the subscriber aborts', async () => {
    const tracker = new ProgressTracker();
    tracker.begin('i4', 'rollback').step('stop', 'Stopping');
    const abort = new AbortController();
    const following = collect(tracker.follow('i4', 'rollback', abort.signal));
    setTimeout(() => abort.abort(), 20);
    expect((await following).map((e) => e.phase)).toEqual(['stop']);
  });
});
