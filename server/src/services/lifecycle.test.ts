import { describe, expect, it } from 'vitest';
import { allowedActions, canTransition, claimedStatus, INSTANCE_ACTIONS, INSTANCE_STATUSES, refusal, repairsFor, repairSentence, statusesAllowing, TRANSITIONS, type LifecycleFacts } from './lifecycle.js';

const facts = (status: LifecycleFacts['status'], containerId: string | null = 'c1', previousContainerId: string | null = null) => ({ name: 'orders', status, containerId, previousContainerId });

describe('instance lifecycle', () => {
  it('allows everything on a ready instance with a container, rollback only with a previous one', () => {
    expect(allowedActions(facts('ready'))).toEqual(INSTANCE_ACTIONS.filter((action) => action !== 'rollback' && action !== 'discard-previous'));
    expect(allowedActions(facts('ready', 'c1', 'c0'))).toEqual([...INSTANCE_ACTIONS]);
  });

  it('allows nothing but a rename while an operation owns the instance', () => {
    for (const status of ['provisioning', 'upgrading', 'restoring'] as const) expect(allowedActions(facts(status, 'c1', 'c0'))).toEqual(['rename']);
    expect(allowedActions(facts('deleting'))).toEqual([]);
  });

  it('offers a failed instance the repairs its facts permit, and says so in words', () => {
    // No container (a provision that could not be finished): only delete repairs it.
    const bare = facts('failed', null);
    expect(repairsFor(bare).map((repair) => repair.action)).toEqual(['delete']);
    expect(repairSentence(bare)).toBe('delete it');
    expect(refusal(bare, 'start')).toBe('Instance "orders" has no container; you can delete it.');
    // A container and a kept previous version.
    const kept = facts('failed', 'c1', 'c0');
    expect(repairsFor(kept).map((repair) => repair.action)).toEqual(['start', 'restart', 'rollback', 'backup', 'restore', 'delete']);
    expect(repairSentence(kept)).toBe('start it again, restart it, roll back the upgrade, restore a backup into it or delete it');
    expect(refusal(kept, 'upgrade')).toMatch(/^Instance "orders" failed; upgrade cannot repair it\. You can start it again/);
    expect(repairsFor(facts('ready'))).toEqual([]);
  });

  it('refuses with a sentence naming the status and when the action is possible', () => {
    expect(refusal(facts('upgrading'), 'upgrade')).toBe('Instance "orders" is upgrading; upgrade is possible when it is ready.');
    expect(refusal(facts('ready'), 'rollback')).toBe('Instance "orders" keeps no previous version.');
    expect(refusal(facts('ready'), 'backup')).toBeNull();
  });

  it('claims only into statuses its transitions reach, from statuses that allow the action', () => {
    for (const action of INSTANCE_ACTIONS) {
      const claimed = claimedStatus(action);
      if (claimed === null) continue;
      for (const from of statusesAllowing(action)) expect(canTransition(from, claimed), `${from} → ${claimed} (${action})`).toBe(true);
      // Every claimed status leads back to ready or away for good.
      expect(TRANSITIONS[claimed].includes('ready') || claimed === 'deleting').toBe(true);
    }
    expect(statusesAllowing('delete')).toEqual(['ready', 'failed']);
    for (const status of INSTANCE_STATUSES) for (const next of TRANSITIONS[status]) expect(INSTANCE_STATUSES).toContain(next);
    expect(canTransition('provisioning', 'upgrading')).toBe(false);
  });
});
