import busboy from 'busboy';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DOMAIN_ERRORS, describeError, InvalidInputError, NotFoundError } from '../errors.js';
import type { Services } from '../services/index.js';

const DOWNLOAD_PATH = /^\/api\/backups\/([0-9a-f-]{36})\/download$/;
export const UPLOAD_PATH = '/api/backups/upload';

/**
 * `GET /api/backups/<id>/download` streams a backup file; `POST /api/backups/upload?instanceId=`
 * takes one multipart `file` field and streams it to disk (nothing is held in memory). Returns
 * false when the request is not for these routes.
 */
export async function handleBackupRoutes(request: IncomingMessage, response: ServerResponse, services: Services, actor: string): Promise<boolean> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const download = DOWNLOAD_PATH.exec(url.pathname);
  if (download && request.method === 'GET') {
    await respond(response, () => sendBackup(response, services, download[1]!));
    return true;
  }
  if (url.pathname === UPLOAD_PATH && request.method === 'POST') {
    await respond(response, async () => {
      const instanceId = url.searchParams.get('instanceId');
      if (!instanceId) throw new InvalidInputError('Pass the target instance as ?instanceId=.', 'instanceId');
      const backup = await receiveUpload(request, (file, name) => services.backups.upload(instanceId, file, name, actor));
      sendJson(response, 201, { backup: { id: backup.id, file: backup.file, sizeBytes: backup.sizeBytes, status: backup.status } });
    });
    return true;
  }
  return false;
}

async function sendBackup(response: ServerResponse, services: Services, id: string): Promise<void> {
  const backup = await services.backups.get(id);
  const size = backup.status === 'succeeded' ? await services.backups.files.size(backup.file) : null;
  if (size === null) throw new NotFoundError(`Backup ${backup.file} has no file to download (status ${backup.status}).`);
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    'content-disposition': `attachment; filename="${backup.file}"`,
    'cache-control': 'no-store',
  });
  await pipeline(services.backups.files.open(backup.file), response);
}

/** Hands the single `file` part to `store` as a stream; other parts are refused. */
function receiveUpload<T>(request: IncomingMessage, store: (file: AsyncIterable<Uint8Array>, name: string) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: 0, parts: 1 } });
    } catch {
      reject(new InvalidInputError('Send the dump as multipart/form-data with one "file" field.', 'file'));
      return;
    }
    let started = false;
    parser.on('file', (field, stream, info) => {
      if (field !== 'file') {
        stream.resume();
        reject(new InvalidInputError(`Unexpected field "${field}"; send the dump in a field named "file".`, 'file'));
        return;
      }
      started = true;
      store(stream as Readable, info.filename ?? 'upload').then(resolve, (error) => {
        stream.resume();
        reject(error);
      });
    });
    parser.on('error', (error) => reject(new InvalidInputError(`The upload is not valid multipart data: ${describeError(error)}`, 'file')));
    parser.on('close', () => {
      if (!started) reject(new InvalidInputError('The upload holds no "file" field.', 'file'));
    });
    request.pipe(parser);
  });
}

async function respond(response: ServerResponse, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (response.headersSent) {
      response.destroy(error instanceof Error ? error : undefined);
      return;
    }
    const typed = DOMAIN_ERRORS.find((type) => error instanceof type);
    const status = error instanceof NotFoundError ? 404 : error instanceof InvalidInputError ? 400 : typed ? 409 : 500;
    sendJson(response, status, { error: { type: typed ? (error as Error).name : 'InternalError', message: typed ? (error as Error).message : 'Unexpected error; see the server log.' } });
    if (!typed) console.error('Backup route failed:', error);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
