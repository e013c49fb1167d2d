import { describe, expect, it } from 'vitest';
import { FaultPoints, reachAfterFirst } from './fault-points.js';

describe('FaultPoints', () => {
  it('does nothing unless armed, and an armed point fires once', async () => {
    const faults = new FaultPoints();
    await expect(faults.reach('upgrade.verifying')).resolves.toBeUndefined();
    faults.arm('upgrade.verifying', 'fail');
    await expect(faults.reach('upgrade.verifying')).rejects.toThrow('Forced failure at "upgrade.verifying".');
    await expect(faults.reach('upgrade.verifying')).resolves.toBeUndefined();
  });

  it('hangs until the operation is aborted, also when it was aborted before the point', async () => {
    const faults = new FaultPoints().arm('backup.dumping', 'hang');
    const abort = new AbortController();
    const hanging = faults.reach('backup.dumping', abort.signal);
    abort.abort(new Error('Cancelled on request.'));
    await expect(hanging).rejects.toThrow('Cancelled on request.');
    faults.arm('backup.dumping', 'hang');
    await expect(faults.reach('backup.dumping', abort.signal)).rejects.toThrow('Cancelled on request.');
  });

  it('reaches a point after the first chunk has been taken', async () => {
    const faults = new FaultPoints().arm('restore.restoring', 'fail');
    async function* chunks() {
      yield 1;
      yield 2;
    }
    const taken: number[] = [];
    await expect((async () => {
      for await (const chunk of reachAfterFirst(faults, 'restore.restoring', chunks())) taken.push(chunk);
    })()).rejects.toThrow(/restore\.restoring/);
    expect(taken).toEqual([1]);
  });

  it('reads KRINT_TEST_FAULT and refuses what it does not know', async () => {
    const faults = FaultPoints.fromEnvironment({ KRINT_TEST_FAULT: 'provision.created:fail, delete.removed:fail' });
    await expect(faults.reach('delete.removed')).rejects.toThrow(/delete\.removed/);
    await expect(faults.reach('provision.created')).rejects.toThrow(/provision\.created/);
    expect(() => FaultPoints.fromEnvironment({ KRINT_TEST_FAULT: 'provision.nowhere:crash' })).toThrow(/unknown point "provision.nowhere"/);
    expect(() => FaultPoints.fromEnvironment({ KRINT_TEST_FAULT: 'provision.created:explode' })).toThrow(/must be one of fail, hang, crash/);
    expect(() => FaultPoints.fromEnvironment({})).not.toThrow();
  });
});
