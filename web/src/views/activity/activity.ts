import { gql } from '@urql/core';
import { ACTIVITY_FIELDS, type ActivityItem } from '../dashboard/dashboard.js';

export const ACTIVITY_PAGE = gql<{ activity: { entries: ActivityItem[]; nextCursor: number | null } }, { before: number | null; targetId: string | null; first: number }>`
  query ActivityPage($before: Int, $targetId: String, $first: Int) { activity(before: $before, targetId: $targetId, first: $first) { entries { ${ACTIVITY_FIELDS} } nextCursor } }
`;

/** Narrows loaded entries by action and actor (the server filters by instance itself). */
export function filterActivity(entries: readonly ActivityItem[], action: string, actor: string): ActivityItem[] {
  const a = action.trim().toLowerCase();
  return entries.filter((e) => (a === '' || e.action.toLowerCase().includes(a)) && (actor === '' || e.actor === actor));
}
