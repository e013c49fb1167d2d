import { Backup, BackupSchedule } from '../../db/entities.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';
import { DeletedRef } from './instances.js';

const BackupStatusEnum = stringEnum('BackupStatus', ['running', 'succeeded', 'failed'] as const);
const BackupKindEnum = stringEnum('BackupKind', ['manual', 'scheduled', 'pre-upgrade', 'upload'] as const);

export const BackupRef = builder.objectType(Backup, {
  name: 'Backup',
  fields: (t) => ({
    id: t.exposeID('id'),
    instanceId: t.exposeID('instanceId'),
    instanceName: t.exposeString('instanceName'),
    engine: t.exposeString('engine'),
    engineVersion: t.exposeString('engineVersion'),
    file: t.exposeString('file'),
    sizeBytes: t.exposeFloat('sizeBytes'),
    status: t.field({ type: BackupStatusEnum, resolve: (b) => b.status }),
    kind: t.field({ type: BackupKindEnum, resolve: (b) => b.kind }),
    scheduleId: t.exposeID('scheduleId', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    downloadPath: t.string({ nullable: true, description: 'HTTP path that streams the file (GET).', resolve: (b) => (b.status === 'succeeded' ? `/api/backups/${b.id}/download` : null) }),
  }),
});

const ScheduleRef = builder.objectType(BackupSchedule, {
  name: 'BackupSchedule',
  fields: (t) => ({
    id: t.exposeID('id'),
    instanceId: t.exposeID('instanceId'),
    cron: t.exposeString('cron', { description: 'Cron in UTC: 5 fields, or 6 with seconds first.' }),
    enabled: t.exposeBoolean('enabled'),
    retentionCount: t.exposeInt('retentionCount', { nullable: true }),
    retentionDays: t.exposeInt('retentionDays', { nullable: true }),
    lastRunAt: t.expose('lastRunAt', { type: 'DateTime', nullable: true }),
    lastStatus: t.field({ type: BackupStatusEnum, nullable: true, resolve: (s) => s.lastStatus }),
    lastError: t.exposeString('lastError', { nullable: true }),
    nextRunAt: t.field({ type: 'DateTime', nullable: true, resolve: (s, _a, ctx) => ctx.services.schedules.nextRun(s) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const RestoreResultRef = builder.objectRef<{ bytes: number }>('RestoreResult').implement({ fields: (t) => ({ bytes: t.exposeFloat('bytes') }) });

const ScheduleInput = builder.inputType('BackupScheduleInput', {
  fields: (t) => ({
    instanceId: t.id({ required: true }),
    cron: t.string({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    retentionCount: t.int({ description: 'Keep only the newest N backups of this schedule.' }),
    retentionDays: t.int({ description: 'Delete backups of this schedule older than D days.' }),
  }),
});

builder.queryFields((t) => ({
  backups: t.field({ type: [BackupRef], args: { instanceId: t.arg.id() }, resolve: (_r, a, ctx) => ctx.services.backups.list(a.instanceId ? String(a.instanceId) : null) }),
  backup: t.field({ type: BackupRef, args: { id: t.arg.id({ required: true }) }, errors: { directResult: true }, resolve: (_r, a, ctx) => ctx.services.backups.get(String(a.id)) }),
  backupSchedules: t.field({ type: [ScheduleRef], args: { instanceId: t.arg.id() }, resolve: (_r, a, ctx) => ctx.services.schedules.list(a.instanceId ? String(a.instanceId) : null) }),
}));

builder.mutationFields((t) => ({
  backupNow: t.field({
    description: 'Dumps the instance now and returns the finished backup (or a typed error; a failed dump leaves no file).',
    type: BackupRef,
    args: { instanceId: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.backups.backupNow(String(a.instanceId), ctx.actor),
  }),
  restoreBackup: t.field({
    description: 'Restores into the backup\'s own instance, or `targetInstanceId` of the same engine.',
    type: RestoreResultRef,
    args: { backupId: t.arg.id({ required: true }), targetInstanceId: t.arg.id() },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.backups.restore(String(a.backupId), a.targetInstanceId ? String(a.targetInstanceId) : null, ctx.actor),
  }),
  deleteBackup: t.field({
    type: DeletedRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.backups.delete(String(a.id), ctx.actor),
  }),
  createBackupSchedule: t.field({
    type: ScheduleRef,
    args: { input: t.arg({ type: ScheduleInput, required: true }) },
    errors: { directResult: true },
    resolve: (_r, { input }, ctx) => ctx.services.schedules.create({ ...input, instanceId: String(input.instanceId) }, ctx.actor),
  }),
  setBackupScheduleEnabled: t.field({
    type: ScheduleRef,
    args: { id: t.arg.id({ required: true }), enabled: t.arg.boolean({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.schedules.setEnabled(String(a.id), a.enabled, ctx.actor),
  }),
  deleteBackupSchedule: t.field({
    type: DeletedRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.schedules.delete(String(a.id), ctx.actor),
  }),
}));
