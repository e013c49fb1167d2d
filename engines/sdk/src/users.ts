/** Access levels Krint grants on one database; each engine maps them to its own privileges. */
export const ACCESS_LEVELS = ['read', 'readwrite', 'all'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export interface UserInfo {
  readonly name: string;
  /** True for the engine's built-in administrative users. */
  readonly isSystem?: boolean;
  readonly isSuperuser?: boolean;
}

export interface Grant {
  readonly user: string;
  readonly database: string;
  readonly access: AccessLevel;
  /** The engine's own privilege names behind `access`, for display. */
  readonly privileges?: readonly string[];
}

/**
 * Users and grants of one instance. Names are validated and quoted by the implementation; a bad
 * name is an InvalidInputError and changes nothing.
 */
export interface UserAdmin {
  listUsers(): Promise<UserInfo[]>;
  createUser(name: string, password: string): Promise<void>;
  dropUser(name: string): Promise<void>;
  /** Also used to rotate the root password. */
  setPassword(name: string, password: string): Promise<void>;
  grant(name: string, database: string, access: AccessLevel): Promise<void>;
  revoke(name: string, database: string): Promise<void>;
  /** Grants of one user, or of every non-system user when `name` is absent. */
  listGrants(name?: string): Promise<Grant[]>;
}
