import { URL_PASSWORD_PATTERN, type CredentialExposure } from '@krint/engine-sdk';

/** What MongoDB exposes and where (see `CredentialExposure`). */
export const mongoCredentials: CredentialExposure = {
  /**
   * Every `system.*` collection: `admin.system.users` holds each user's SCRAM salts and keys,
   * `admin.system.keys` the keys that sign cluster times, `system.profile` the commands the
   * profiler recorded, and `system.js` stored code. Time-series data is read through its view,
   * not its `system.buckets.*` collection. Database names are compared without case for safety,
   * though MongoDB itself refuses two databases that differ only by case.
   */
  holdsCredentials(_database, table) {
    return table.toLowerCase().startsWith('system.');
  },
  passwordPatterns: [
    // createUser/updateUser documents and mongosh calls: pwd: "…" or "pwd": '…'
    /(\bpwd["']?\s*:\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)/gi,
    URL_PASSWORD_PATTERN,
  ],
};
