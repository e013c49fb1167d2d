/**
 * Used by the `UserNamesIgnoreCase` migrations of both drivers. Before user names were unique
 * regardless of case, `olga` and `Olga` could both exist. The oldest keeps its name; each later
 * one is renamed to the first free `<name>-2`, `<name>-3` …, and the rename is written to the
 * activity log so an admin can tell that person their new sign-in name. Nobody is deleted and no
 * password changes.
 */
export interface CaseDuplicateRename {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** The activity log's detail line for this rename. */
  readonly detail: string;
}

/** Longest user name (see `auth/users.ts`); a renamed name is cut to fit. */
const MAX_NAME_LENGTH = 64;

/** Renames that leave no two names equal ignoring case; `users` oldest first. */
export function caseDuplicateRenames(users: readonly { readonly id: string; readonly name: string }[]): CaseDuplicateRename[] {
  const taken = new Set(users.map((user) => user.name.toLowerCase()));
  const kept = new Map<string, string>();
  const renames: CaseDuplicateRename[] = [];
  for (const user of users) {
    const key = user.name.toLowerCase();
    const owner = kept.get(key);
    if (owner === undefined) {
      kept.set(key, user.name);
      continue;
    }
    let to = '';
    for (let n = 2; ; n++) {
      const suffix = `-${n}`;
      to = `${user.name.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
      if (!taken.has(to.toLowerCase())) break;
    }
    taken.add(to.toLowerCase());
    kept.set(to.toLowerCase(), to);
    renames.push({ id: user.id, from: user.name, to, detail: `renamed from "${user.name}": user names now ignore case and "${owner}" is older; sign in as "${to}"` });
  }
  return renames;
}

/** Who the activity log names as the actor of these renames. */
export const MIGRATION_ACTOR = 'krint (upgrade)';
