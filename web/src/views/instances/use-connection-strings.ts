/** What a connection needs; the same shape as the API's `Connection`. */
export interface ConnectionParts {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface ClientSnippet {
  readonly label: string;
  readonly value: string;
}

/** Quotes a value for a POSIX shell: single quotes, with embedded ones closed and escaped. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_\-.:/@=]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A URL with user and password percent-encoded, so any password survives. */
export function connectionUrl(scheme: string, parts: ConnectionParts, path = parts.database): string {
  const auth = parts.user ? `${encodeURIComponent(parts.user)}${parts.password ? `:${encodeURIComponent(parts.password)}` : ''}@` : parts.password ? `:${encodeURIComponent(parts.password)}@` : '';
  return `${scheme}://${auth}${hostForUrl(parts.host)}:${parts.port}${path === '' ? '' : `/${encodeURIComponent(path)}`}`;
}

/**
 * Snippets for common clients beyond the server's own strings: the engine's shell, an env line
 * and JDBC where it applies. Each is ready to paste.
 */
export function clientSnippets(engineId: string, parts: ConnectionParts): ClientSnippet[] {
  const h = shellQuote(parts.host);
  switch (engineId) {
    case 'postgres':
    case 'postgresql':
      return [
        { label: 'psql', value: `PGPASSWORD=${shellQuote(parts.password)} psql -h ${h} -p ${parts.port} -U ${shellQuote(parts.user)} -d ${shellQuote(parts.database)}` },
        { label: '.env', value: `DATABASE_URL=${connectionUrl('postgresql', parts)}` },
        { label: 'JDBC', value: `jdbc:postgresql://${hostForUrl(parts.host)}:${parts.port}/${encodeURIComponent(parts.database)}?user=${encodeURIComponent(parts.user)}&password=${encodeURIComponent(parts.password)}` },
      ];
    case 'mysql':
    case 'mariadb': {
      const cli = engineId === 'mariadb' ? 'mariadb' : 'mysql';
      return [
        { label: cli, value: `MYSQL_PWD=${shellQuote(parts.password)} ${cli} -h ${h} -P ${parts.port} -u ${shellQuote(parts.user)} ${shellQuote(parts.database)}` },
        { label: '.env', value: `DATABASE_URL=${connectionUrl('mysql', parts)}` },
        { label: 'JDBC', value: `jdbc:${engineId}://${hostForUrl(parts.host)}:${parts.port}/${encodeURIComponent(parts.database)}?user=${encodeURIComponent(parts.user)}&password=${encodeURIComponent(parts.password)}` },
      ];
    }
    case 'mongodb':
      return [
        { label: 'mongosh', value: `mongosh ${shellQuote(`${connectionUrl('mongodb', parts)}?authSource=admin`)}` },
        { label: '.env', value: `MONGODB_URI=${connectionUrl('mongodb', parts)}?authSource=admin` },
      ];
    case 'redis':
    case 'valkey': {
      const cli = engineId === 'valkey' ? 'valkey-cli' : 'redis-cli';
      const userFlag = parts.user && parts.user !== 'default' ? ` --user ${shellQuote(parts.user)}` : '';
      return [
        { label: cli, value: `${cli} -h ${h} -p ${parts.port}${userFlag} --pass ${shellQuote(parts.password)} --no-auth-warning` },
        { label: '.env', value: `REDIS_URL=${connectionUrl('redis', parts, parts.database === '' ? '' : parts.database)}` },
      ];
    }
    default:
      return [];
  }
}

/** A YAML scalar: plain when safe, otherwise double-quoted with escapes. */
export function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  const plain = /^[A-Za-z_/][A-Za-z0-9_\-./]*$/.test(value) && !/^(true|false|yes|no|on|off|null|~)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** The instance's connection as a YAML block, e.g. for a config file or a secret. */
export function connectionYaml(name: string, engineId: string, version: string, parts: ConnectionParts, strings: readonly ClientSnippet[]): string {
  const lines = [
    `${yamlScalar(name.replace(/[^A-Za-z0-9_-]+/g, '_') || 'instance')}:`,
    `  engine: ${yamlScalar(engineId)}`,
    `  version: ${yamlScalar(version)}`,
    `  host: ${yamlScalar(parts.host)}`,
    `  port: ${parts.port}`,
    `  user: ${yamlScalar(parts.user)}`,
    `  password: ${yamlScalar(parts.password)}`,
    `  database: ${yamlScalar(parts.database)}`,
  ];
  if (strings.length > 0) {
    lines.push('  connectionStrings:');
    for (const s of strings) lines.push(`    ${yamlScalar(s.label)}: ${yamlScalar(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}
