import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import path from 'node:path';
import type { parse as ParseYaml } from 'yaml';
import { currentContainerId, parseDockerNetwork } from '@krint/agent';
import { loadAuthConfig, type AuthConfig } from './auth/config.js';

/**
 * Control-plane configuration. Sources, strongest first: environment variables in the
 * `Section__Key` form, then an optional `krint.yaml`, then the embedded defaults (SQLite in
 * `./.data`, port 5000). Everything is validated at start; every problem is reported at once.
 */
export interface KrintConfig {
  readonly port: number;
  /** Address the HTTP listener binds; null listens on every interface. */
  readonly bindAddress: string | null;
  /** Absolute folder for the SQLite file, the vault key file and default backups. */
  readonly dataDir: string;
  /** Public base URL clients use to reach this server (links in the UI); null when unknown. */
  readonly publicUrl: string | null;
  /**
   * Origins (`https://host:port`) besides the control plane's own whose pages may call the API
   * with credentials (CORS) and open subscriptions; empty by default: same-origin only.
   */
  readonly allowedOrigins: readonly string[];
  readonly database: DatabaseConfig;
  readonly vault: { readonly masterKey: string | null; readonly keyFile: string };
  readonly backups: BackupsConfig;
  readonly storage: { readonly mode: 'volume' | 'host'; readonly hostPath: string | null };
  /**
   * The Docker network the in-process agent reaches instances on (`Docker__Network`); null for
   * loopback. Absent means "not set": in a container the agent then looks for its own network.
   */
  readonly dockerNetwork?: string | null;
  /** Host port range per engine id; engines without an entry use their own default range. */
  readonly portRanges: Readonly<Record<string, readonly [number, number]>>;
  /** Built-in users, sessions and OIDC (`Auth__*`, `Oidc__*`; see `auth/config.ts`). */
  readonly auth: AuthConfig;
  /** The YAML file that was read, if any. */
  readonly configFile: string | null;
}

export interface BackupsConfig {
  /** Where dumps are written (`Backups__Directory`). */
  readonly directory: string;
  /** Largest dump an upload may carry (`Backups__MaxUploadBytes`); a bigger one is refused with 413. */
  readonly maxUploadBytes: number;
  /** Shortest time between two runs of a backup schedule (`Backups__MinScheduleIntervalSeconds`). */
  readonly minScheduleIntervalSeconds: number;
}

/** Defaults of the `Backups__*` settings. */
export const BACKUP_DEFAULTS = {
  maxUploadBytes: 10 * 1024 ** 3,
  minScheduleIntervalSeconds: 60,
} as const;

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgresql'; readonly connectionString: string };

/** Configuration is wrong; `problems` lists each one in words a person can act on. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Krint cannot start: the configuration is invalid.\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Folder that relative paths and the default `krint.yaml` are resolved from. */
  readonly cwd?: string;
  /** Whether Krint runs in a container (found in the process's mount table by default). */
  readonly inContainer?: boolean;
}

const YAML_KEYS = ['port', 'bind_address', 'data_dir', 'public_url', 'allowed_origins', 'storage', 'port_ranges', 'backups'] as const;

/** Reads and validates the configuration; throws {@link ConfigError} listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): KrintConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const { file: configFile, values: yaml } = readYaml(env, cwd, problems);

  const port = parsePort(envValue(env, 'Krint__Port') ?? yaml.port ?? 5000, 'Krint__Port (or krint.port)', problems);
  const dataDir = path.resolve(cwd, asString(envValue(env, 'Krint__DataDir') ?? yaml.data_dir ?? './.data', 'Krint__DataDir', problems));
  const publicUrl = parsePublicUrl(envValue(env, 'Krint__PublicUrl') ?? yaml.public_url ?? null, problems);
  const allowedOrigins = parseOrigins(envValue(env, 'Krint__AllowedOrigins') ?? yaml.allowed_origins ?? null, problems);
  const bindAddress = parseBindAddress(envValue(env, 'Krint__BindAddress') ?? yaml.bind_address ?? null, problems);

  const connectionString = envValue(env, 'Database__ConnectionString');
  let database: DatabaseConfig;
  if (connectionString && /^postgres(ql)?:\/\//i.test(connectionString)) {
    database = { kind: 'postgresql', connectionString };
  } else if (connectionString) {
    database = { kind: 'sqlite', file: path.resolve(dataDir, connectionString) };
  } else {
    database = { kind: 'sqlite', file: path.join(dataDir, 'krint.db') };
  }

  const masterKey = envValue(env, 'Vault__MasterKey') ?? null;
  if (masterKey !== null) {
    const bytes = Buffer.from(masterKey, 'base64');
    if (bytes.length !== 32 || bytes.toString('base64') !== masterKey.trim()) {
      problems.push('Vault__MasterKey must be 32 random bytes in base64 (44 characters); generate one with `openssl rand -base64 32`.');
    }
  }

  const backupsDir = path.resolve(cwd, asString(envValue(env, 'Backups__Directory') ?? yaml.backups?.directory ?? path.join(dataDir, 'backups'), 'Backups__Directory', problems));

  const maxUploadBytes = parseWholeNumber(envValue(env, 'Backups__MaxUploadBytes') ?? yaml.backups?.max_upload_bytes, 'Backups__MaxUploadBytes (or krint.backups.max_upload_bytes)', BACKUP_DEFAULTS.maxUploadBytes, 1, problems);
  const minScheduleIntervalSeconds = parseWholeNumber(
    envValue(env, 'Backups__MinScheduleIntervalSeconds') ?? yaml.backups?.min_schedule_interval_seconds,
    'Backups__MinScheduleIntervalSeconds (or krint.backups.min_schedule_interval_seconds)',
    BACKUP_DEFAULTS.minScheduleIntervalSeconds,
    1,
    problems,
  );

  const modeRaw = (envValue(env, 'Storage__Mode') ?? yaml.storage?.mode ?? 'volume').toString().toLowerCase();
  const mode = modeRaw === 'volume' || modeRaw === 'host' ? modeRaw : null;
  if (mode === null) problems.push(`Storage mode "${modeRaw}" is not known; use "volume" or "host".`);
  const hostPathRaw = envValue(env, 'Storage__HostPath') ?? yaml.storage?.host_path ?? null;
  // Docker reads a bind mount's source on the Docker host. From a checkout or the package, that is
  // this machine, so a relative folder means the one under the working folder; in a container
  // the working folder exists only inside it, so the folder must be named as the host sees it.
  const inContainer = options.inContainer ?? currentContainerId() !== null;
  if (hostPathRaw !== null && inContainer && !path.isAbsolute(String(hostPathRaw))) {
    problems.push(`Storage__HostPath must be an absolute folder on the Docker host when Krint runs in a container (got "${String(hostPathRaw)}").`);
  }
  const hostPath = hostPathRaw === null ? null : path.resolve(cwd, String(hostPathRaw));
  if (mode === 'host' && hostPath === null) problems.push('Storage mode "host" needs a folder: set Storage__HostPath or krint.storage.host_path.');

  const dockerNetwork = parseDockerNetwork(envValue(env, 'Docker__Network'));
  if (dockerNetwork instanceof Error) problems.push(dockerNetwork.message);

  const portRanges = parsePortRanges(yaml.port_ranges, problems);
  const auth = loadAuthConfig(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    bindAddress,
    dataDir,
    publicUrl,
    allowedOrigins,
    database,
    vault: { masterKey, keyFile: path.join(database.kind === 'sqlite' ? path.dirname(database.file) : dataDir, 'vault.key') },
    backups: { directory: backupsDir, maxUploadBytes, minScheduleIntervalSeconds },
    storage: { mode: mode ?? 'volume', hostPath },
    ...(typeof dockerNetwork === 'string' ? { dockerNetwork } : {}),
    portRanges,
    auth,
    configFile,
  };
}

interface YamlValues {
  port?: unknown;
  bind_address?: unknown;
  data_dir?: unknown;
  public_url?: unknown;
  allowed_origins?: unknown;
  storage?: { mode?: unknown; host_path?: unknown };
  port_ranges?: unknown;
  backups?: { directory?: unknown; max_upload_bytes?: unknown; min_schedule_interval_seconds?: unknown };
}

function envValue(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * `yaml`, required only when a configuration file exists (most installations configure Krint with
 * environment variables), and synchronously because loading the configuration is.
 */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)('yaml') as { parse: typeof ParseYaml };
  return parse(text);
}

function readYaml(env: NodeJS.ProcessEnv, cwd: string, problems: string[]): { file: string | null; values: YamlValues } {
  const explicit = envValue(env, 'Krint__ConfigFile');
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, 'krint.yaml');
  if (!existsSync(file)) {
    if (explicit) problems.push(`Krint__ConfigFile points to ${file}, which does not exist.`);
    return { file: null, values: {} };
  }
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`${file} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return { file, values: {} };
  }
  if (document === null || document === undefined) return { file, values: {} };
  const root = isRecord(document) ? document.krint : undefined;
  if (!isRecord(root)) {
    problems.push(`${file} must have a top-level "krint:" section.`);
    return { file, values: {} };
  }
  for (const key of Object.keys(root)) {
    if (!(YAML_KEYS as readonly string[]).includes(key)) problems.push(`${file}: unknown key "krint.${key}"; known keys: ${YAML_KEYS.join(', ')}.`);
  }
  for (const section of ['storage', 'backups'] as const) {
    if (root[section] !== undefined && !isRecord(root[section])) problems.push(`${file}: "krint.${section}" must be a mapping.`);
  }
  return { file, values: root as YamlValues };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown, name: string, problems: string[]): string {
  if (typeof value === 'string' && value.length > 0) return value;
  problems.push(`${name} must be a non-empty text value.`);
  return '.';
}

function parsePort(value: unknown, name: string, problems: string[]): number {
  const port = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`${name} must be a whole number from 1 to 65535, not "${String(value)}".`);
    return 5000;
  }
  return port;
}

/** A whole number of at least `min`; `fallback` when the setting is absent. */
function parseWholeNumber(value: unknown, name: string, fallback: number, min: number, problems: string[]): number {
  if (value === undefined || value === null) return fallback;
  const text = String(value).trim();
  const number = typeof value === 'number' ? value : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    problems.push(`${name} must be a whole number of at least ${min}, not "${String(value)}".`);
    return fallback;
  }
  return number;
}

function parsePublicUrl(value: unknown, problems: string[]): string | null {
  if (value === null || value === undefined) return null;
  try {
    const url = new URL(String(value));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.toString().replace(/\/$/, '');
  } catch {
    problems.push(`Krint__PublicUrl must be an http:// or https:// URL, not "${String(value)}".`);
    return null;
  }
}

/** `Krint__AllowedOrigins`: a comma-separated list (or a YAML list) of `scheme://host[:port]` origins. */
function parseOrigins(value: unknown, problems: string[]): string[] {
  if (value === null || value === undefined) return [];
  const entries = Array.isArray(value) ? value.map(String) : String(value).split(',');
  const origins: string[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    // An origin is scheme, host and port only: a path, a query or credentials mean a typo.
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      problems.push(`Krint__AllowedOrigins: "${entry}" is not an origin; write each as scheme://host[:port], like https://tools.example.com:8443, separated by commas.`);
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

function parseBindAddress(value: unknown, problems: string[]): string | null {
  if (value === null || value === undefined) return null;
  const address = String(value).trim();
  if (isIP(address) === 0 && address !== 'localhost') {
    problems.push(`Krint__BindAddress must be an IP address (like 127.0.0.1, 0.0.0.0 or ::) or "localhost", not "${address}".`);
    return null;
  }
  return address;
}

/** Parses `engine: "30000-30099"` (or `[30000, 30099]`) into validated inclusive ranges. */
export function parsePortRanges(value: unknown, problems: string[]): Record<string, readonly [number, number]> {
  const ranges: Record<string, readonly [number, number]> = {};
  if (value === undefined || value === null) return ranges;
  if (!isRecord(value)) {
    problems.push('krint.port_ranges must map engine ids to ranges like "30000-30099".');
    return ranges;
  }
  for (const [engine, raw] of Object.entries(value)) {
    const parts = Array.isArray(raw) ? raw.map(Number) : String(raw).split('-').map((part) => Number(part.trim()));
    const [low, high] = parts;
    if (parts.length !== 2 || low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) {
      problems.push(`krint.port_ranges.${engine} must be "low-high" with 1 ≤ low ≤ high ≤ 65535, not "${String(raw)}".`);
      continue;
    }
    ranges[engine] = [low, high];
  }
  return ranges;
}
