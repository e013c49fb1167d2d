export type { Engine, ConnectionString } from './engine.js';
export { ENGINE_SDK_VERSION, resolveVersion } from './engine.js';
export type { Capabilities, CapabilityName, Terms } from './capabilities.js';
export { CAPABILITY_NAMES, defineCapabilities } from './capabilities.js';
export type { ContainerSpec, EngineVersion, ProvisionInput } from './container-spec.js';
export type { Readiness, ReadinessOptions } from './readiness.js';
export { Ready, readinessDelays } from './readiness.js';
export type * from './session.js';
export { MAX_PAGE_SIZE } from './session.js';
export type { UserAdmin, UserInfo, Grant, AccessLevel } from './users.js';
export { ACCESS_LEVELS } from './users.js';
export type { BackupSupport, DumpContext, DumpScanner, ExecCommand } from './backup.js';
export { NextByte, isAsciiSpace } from './dump-scanning.js';
export type { UpgradeSupport } from './upgrade.js';
export type { CredentialExposure } from './credentials.js';
export { MIN_REDACTED_SECRET_LENGTH, REDACTED, SQL_QUOTED_SECRET, URL_PASSWORD_PATTERN, passwordRedactor, redactPasswords } from './credentials.js';
export type { EnginePlugin, PluginInstall } from './plugins.js';
export {
  assertCreatableName,
  assertQuotableName,
  assertSafePassword,
  MAX_IDENTIFIER_LENGTH,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  SAFE_PASSWORD_ALPHABET,
} from './identifiers.js';
export { EngineError, InvalidInputError, NotFoundError, ConflictError, NotSupportedError } from './errors.js';
export type { EngineErrorCode } from './errors.js';
export { EngineRegistry, describeInvalidEngine } from './registry.js';
export { encodeCursor, decodeCursor } from './cursor.js';
export { lazyModule } from './lazy-module.js';
export { ExpiringCache } from './expiring-cache.js';
export { TableMetaCache } from './table-meta-cache.js';
export type { CachedTableMeta, TablePageSteps } from './table-meta-cache.js';
export type { LazyModule } from './lazy-module.js';
