import { BackupFiles } from '../backups/files.js';
import { ScheduleService } from '../backups/schedules.js';
import { BackupService } from '../backups/service.js';
import { ShellService } from '../console/shells.js';
import { UpgradeService } from '../upgrade/service.js';
import type { ServiceDeps } from './context.js';
import { Reconciler } from './reconcile.js';
import { DashboardService } from './dashboard.js';
import { DataService } from './data.js';
import { InstanceService } from './instances.js';
import { NodeHub } from '../nodes/node-hub.js';
import { NodeService } from '../nodes/node-service.js';
import { readNodeTokenAllowList } from '../nodes/node-tokens.js';

/** Every service of the control plane, built once from the shared dependencies. */
export interface Services {
  readonly deps: ServiceDeps;
  readonly instances: InstanceService;
  readonly data: DataService;
  readonly backups: BackupService;
  readonly schedules: ScheduleService;
  readonly upgrades: UpgradeService;
  readonly shells: ShellService;
  readonly dashboard: DashboardService;
  /** The control plane's end of `/hubs/node`; app.ts mounts it on the hub server. */
  readonly nodeHub: NodeHub;
  readonly nodes: NodeService;
  /** Finishes or undoes what a stop cut short, and lists orphans. */
  readonly reconciler: Reconciler;
}

export function createServices(deps: ServiceDeps, log: (message: string) => void = (message) => console.log(message)): Services {
  const files = new BackupFiles(deps.config.backups.directory);
  const backups = new BackupService(deps, files);
  const instances = new InstanceService(deps, files);
  const nodeHub = new NodeHub({ orm: deps.orm, router: deps.executors, allowList: readNodeTokenAllowList(), log });
  return {
    deps,
    instances,
    data: new DataService(deps),
    backups,
    schedules: new ScheduleService(deps, backups),
    upgrades: new UpgradeService(deps, backups),
    shells: new ShellService(deps),
    dashboard: new DashboardService(deps, instances),
    nodeHub,
    nodes: new NodeService(deps, nodeHub, files),
    reconciler: new Reconciler(deps, backups, log),
  };
}

export type { Actor, ServiceDeps } from './context.js';
