// Names of the local test images built by engines/test-images/build-all.sh. They carry the
// official image names so engine plugins reference the same tags everywhere.
export const TEST_IMAGES = {
  busybox: 'krint-test/busybox:latest',
  postgres15: 'postgres:15',
  postgres16: 'postgres:16',
  postgres17: 'postgres:17',
  postgres18: 'postgres:18',
  mariadb: 'mariadb:10.11',
  redis: 'redis:7',
} as const;

export type TestImage = (typeof TEST_IMAGES)[keyof typeof TEST_IMAGES];

/** PGDATA of the postgres:NN images (18 follows the official 18 layout). */
export function postgresDataDir(major: number): string {
  return major >= 18 ? `/var/lib/postgresql/${major}/docker` : '/var/lib/postgresql/data';
}
