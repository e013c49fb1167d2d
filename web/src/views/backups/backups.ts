import { gql } from '@urql/core';
import { ERROR_FIELDS, type TypedError } from '../../api/errors.js';

/** GraphQL operations of the backups pages. */
export interface BackupItem {
  id: string; instanceId: string; instanceName: string; engine: string; engineVersion: string; file: string; sizeBytes: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED'; kind: 'MANUAL' | 'SCHEDULED' | 'PRE_UPGRADE' | 'UPLOAD'; error: string | null; createdAt: string; completedAt: string | null; downloadPath: string | null;
}
export interface ScheduleItem {
  id: string; instanceId: string; cron: string; enabled: boolean; retentionCount: number | null; retentionDays: number | null;
  lastRunAt: string | null; lastStatus: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | null; lastError: string | null; nextRunAt: string | null;
}
const BACKUP_FIELDS = 'id instanceId instanceName engine engineVersion file sizeBytes status kind error createdAt completedAt downloadPath';
const SCHEDULE_FIELDS = 'id instanceId cron enabled retentionCount retentionDays lastRunAt lastStatus lastError nextRunAt';

export const BACKUPS = gql<{ backups: BackupItem[] }, { instanceId: string | null }>`query Backups($instanceId: ID) { backups(instanceId: $instanceId) { ${BACKUP_FIELDS} } }`;
export const SCHEDULES = gql<{ backupSchedules: ScheduleItem[] }, { instanceId: string | null }>`query Schedules($instanceId: ID) { backupSchedules(instanceId: $instanceId) { ${SCHEDULE_FIELDS} } }`;
/** A backup started as an operation: answered at once, followed by id, cancellable. */
export interface StartedOperation { id: string; state: string; cancellable: boolean }
export const START_BACKUP = gql<{ startBackup: StartedOperation | TypedError }, { instanceId: string }>`
  mutation StartBackup($instanceId: ID!) { startBackup(instanceId: $instanceId) { __typename ... on Operation { id state cancellable } ${ERROR_FIELDS} } }
`;
export const CANCEL_OPERATION = gql<{ cancelOperation: { state: string } | TypedError }, { id: string }>`
  mutation CancelOperation($id: ID!) { cancelOperation(id: $id) { __typename ... on Operation { state } ${ERROR_FIELDS} } }
`;
export const RESTORE = gql<{ restoreBackup: { bytes: number } | TypedError }, { backupId: string; targetInstanceId: string | null }>`
  mutation Restore($backupId: ID!, $targetInstanceId: ID) { restoreBackup(backupId: $backupId, targetInstanceId: $targetInstanceId) { __typename ... on RestoreResult { bytes } ${ERROR_FIELDS} } }
`;
export const DELETE_BACKUP = gql<{ deleteBackup: { id: string } | TypedError }, { id: string }>`
  mutation DeleteBackup($id: ID!) { deleteBackup(id: $id) { __typename ... on Deleted { id } ${ERROR_FIELDS} } }
`;
export interface ScheduleInput { instanceId: string; cron: string; enabled: boolean; retentionCount: number | null; retentionDays: number | null }
export const CREATE_SCHEDULE = gql<{ createBackupSchedule: ScheduleItem | TypedError }, { input: ScheduleInput }>`
  mutation CreateSchedule($input: BackupScheduleInput!) { createBackupSchedule(input: $input) { __typename ... on BackupSchedule { ${SCHEDULE_FIELDS} } ${ERROR_FIELDS} } }
`;
export const SET_SCHEDULE_ENABLED = gql<{ setBackupScheduleEnabled: ScheduleItem | TypedError }, { id: string; enabled: boolean }>`
  mutation SetScheduleEnabled($id: ID!, $enabled: Boolean!) { setBackupScheduleEnabled(id: $id, enabled: $enabled) { __typename ... on BackupSchedule { ${SCHEDULE_FIELDS} } ${ERROR_FIELDS} } }
`;
export const DELETE_SCHEDULE = gql<{ deleteBackupSchedule: { id: string } | TypedError }, { id: string }>`
  mutation DeleteSchedule($id: ID!) { deleteBackupSchedule(id: $id) { __typename ... on Deleted { id } ${ERROR_FIELDS} } }
`;

/**
 * Sends a dump file to `POST /api/backups/upload` as multipart, reporting upload progress.
 * Resolves with the stored backup's id, or rejects with the server's message.
 */
export function uploadBackup(instanceId: string, file: File, onProgress: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/backups/upload?instanceId=${encodeURIComponent(instanceId)}`);
    request.withCredentials = true;
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onerror = () => reject(new Error('The upload did not reach the server.'));
    request.onload = () => {
      let body: { backup?: { id: string }; error?: { message: string } } = {};
      try {
        body = JSON.parse(request.responseText) as typeof body;
      } catch {
        // Falls through to the status message below.
      }
      if (request.status >= 200 && request.status < 300 && body.backup) resolve(body.backup.id);
      else reject(new Error(body.error?.message ?? `The server refused the upload (HTTP ${request.status}).`));
    };
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}
