export { Vault, VaultError } from './vault.js';
export { resolveVault } from './key-file.js';
export type { MasterKeySource, ResolvedVault } from './key-file.js';
