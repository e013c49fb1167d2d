import { BackupFiles } from '../backups/files.js';
import { ScheduleService } from '../backups/schedules.js';
import { BackupService } from '../backups/service.js';
import { ShellService } from '../console/shells.js';
import { UpgradeService } from '../upgrade/service.js';
import type { ServiceDeps } from './context.js';
import { DashboardService } from './dashboard.js';
import { DataService } from './data.js';
import { InstanceService } from './instances.js';

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
}

export function createServices(deps: ServiceDeps): Services {
  const files = new BackupFiles(deps.config.backups.directory);
  const backups = new BackupService(deps, files);
  const instances = new InstanceService(deps, files);
  return {
    deps,
    instances,
    data: new DataService(deps),
    backups,
    schedules: new ScheduleService(deps, backups),
    upgrades: new UpgradeService(deps, backups),
    shells: new ShellService(deps),
    dashboard: new DashboardService(deps, instances),
  };
}

export type { Actor, ServiceDeps } from './context.js';
