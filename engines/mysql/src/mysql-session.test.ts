import { mysqlEngine } from './mysql-engine.js';
import { serverSuite } from './mysql-server-suite.js';

// No MySQL server image exists on the test machines, so the MySQL engine's session, users and
// backup paths run against the local MariaDB server, where the protocol, the SQL used and the
// client tools' options agree. The MySQL-only parts (the MAX_EXECUTION_TIME hint, the
// information_schema_stats_expiry setting) are harmless there: the hint is a comment to MariaDB and
// the setting's "unknown variable" error is ignored, so timeouts are enforced by the client-side
// KILL QUERY, which this suite therefore exercises.
//
// The dump and restore commands are MariaDB's (`mariadb-dump`, `mariadb`) because the MySQL tool
// names do not all exist in this image; the MySQL engine's own commands are checked in
// mysql-engine.test.ts.
await serverSuite({
  engine: {
    ...mysqlEngine,
    backup: {
      ...mysqlEngine.backup!,
      dumpCommand: (context) => {
        const command = mysqlEngine.backup!.dumpCommand(context);
        return { ...command, argv: ['mariadb-dump', ...command.argv.slice(1).filter((arg) => arg !== '--flush-privileges'), '--system=users', '--insert-ignore'] };
      },
      restoreCommand: (context) => {
        const command = mysqlEngine.backup!.restoreCommand(context);
        return { ...command, argv: command.argv.map((arg) => arg.replace(/\| mysql /, '| mariadb ')) };
      },
    },
  },
  // The dump here is MariaDB's, which the MySQL engine must refuse to restore.
  dumpHeaderVerdict: /MariaDB dump/,
  image: 'mariadb:10.11',
  env: (rootPassword) => ({ MARIADB_ROOT_PASSWORD: rootPassword, MARIADB_DATABASE: 'app' }),
  cmd: ['--character-set-server=utf8mb4'],
  namePrefix: 'krint-mysql-test',
});
