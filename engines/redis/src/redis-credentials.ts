import { URL_PASSWORD_PATTERN, type CredentialExposure } from '@krint/engine-sdk';

/** What Redis and Valkey expose and where (see `CredentialExposure`). */
export const redisFamilyCredentials: CredentialExposure = {
  /**
   * Nothing a key browse reaches: users and their password hashes live in the ACL file and are
   * read with ACL LIST/GETUSER, which the console refuses (and the console is for admins).
   */
  holdsCredentials: () => false,
  passwordPatterns: [
    // ACL SETUSER … >password (the first one on the line), CONFIG SET requirepass|masterauth …
    /(\bSETUSER\b[^\n]*?\s>)\S+/gi,
    /(\b(?:requirepass|masterauth)\s+)\S+/gi,
    URL_PASSWORD_PATTERN,
  ],
};
