import { randomBytes } from 'node:crypto';

/** Labels every container and volume Krint creates carries; discovery and cleanup rely on them. */
export const LABEL_MANAGED = 'krint.managed';
export const LABEL_INSTANCE = 'krint.instance';
export const LABEL_ENGINE = 'krint.engine';
export const LABEL_VERSION = 'krint.version';
/**
 * The control plane (installation) that made the container or volume: reconciliation and the
 * orphan list look only at their own, so control planes sharing a Docker host never touch each
 * other's databases.
 */
export const LABEL_INSTALLATION = 'krint.installation';
/** `primary` for the container an instance is made with, `replacement` for one an upgrade or visibility change makes. */
export const LABEL_ROLE = 'krint.role';
export const CONTAINER_ROLES = ['primary', 'replacement'] as const;
export type ContainerRole = (typeof CONTAINER_ROLES)[number];
/** On a replacement: the container it replaces. */
export const LABEL_REPLACES = 'krint.replaces';
/** Groups Krint's containers under one project in Docker Desktop and `docker compose ls`. */
export const LABEL_COMPOSE_PROJECT = 'com.docker.compose.project';
export const COMPOSE_PROJECT = 'krint-databases';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly engineId: string;
  readonly version: string;
}

/** The `krint.*` labels of one instance; the runtime sets them last so nothing can override them. */
export function instanceLabels(identity: InstanceIdentity): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_INSTANCE]: identity.instanceId,
    [LABEL_ENGINE]: identity.engineId,
    [LABEL_VERSION]: identity.version,
    [LABEL_COMPOSE_PROJECT]: COMPOSE_PROJECT,
  };
}

/** `krint-<slug>-<8 random characters>`: readable in `docker ps`, unique without a lookup. */
export function containerNameFor(slug: string): string {
  return `krint-${slug}-${randomSuffix()}`;
}

/** The named volume that belongs to a container. */
export function volumeNameFor(containerName: string): string {
  return `${containerName}-data`;
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(): string {
  return [...randomBytes(8)].map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
}
