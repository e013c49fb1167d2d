/**
 * MariaDB accounts, grants and `mysql.db` work as in MySQL (`mysql.user` is a view over
 * `mysql.global_priv` since 10.4 and reads the same), so the MySQL user administration is used
 * with the MariaDB dialect, which names MariaDB's own system accounts.
 */
export { MysqlUserAdmin as MariadbUserAdmin, ACCESS_PRIVILEGES } from '@krint/engine-mysql';
