/** One sample per instance per dashboard snapshot, for the small live charts. */
export interface UsageSample {
  readonly cpu: number;
  readonly memory: number;
}

/**
 * Keeps the last `limit` samples per instance. Instances that disappear from a snapshot are
 * dropped (deleted ones must not linger); a missing reading (stopped container) counts as 0.
 */
export function appendSnapshot(
  history: ReadonlyMap<string, readonly UsageSample[]>,
  snapshot: readonly { instanceId: string; cpuPercent: number | null; memoryBytes: number | null }[],
  limit = 40,
): Map<string, UsageSample[]> {
  const next = new Map<string, UsageSample[]>();
  for (const item of snapshot) {
    const previous = history.get(item.instanceId) ?? [];
    const sample = { cpu: Math.max(0, item.cpuPercent ?? 0), memory: Math.max(0, item.memoryBytes ?? 0) };
    next.set(item.instanceId, [...previous, sample].slice(-limit));
  }
  return next;
}
