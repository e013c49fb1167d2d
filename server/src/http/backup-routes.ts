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
 * takes one multipart `file` field of at most `Backups__MaxUploadBytes` and streams it to disk
 * (nothing is held in memory). Returns false when the request is not for these routes.
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
      const backup = await receiveUpload(request, services.backups.maxUploadBytes, (file, name) => services.backups.upload(instanceId, file, name, actor));
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

/** Room for the part headers and boundaries around the file in a multipart body. */
const MULTIPART_ENVELOPE_BYTES = 64 * 1024;

/** An upload bigger than `Backups__MaxUploadBytes`: answered with 413. */
export class UploadTooLargeError extends InvalidInputError {
  constructor(maxBytes: number) {
    super(`The upload is larger than ${maxBytes} bytes, the limit set by Backups__MaxUploadBytes.`, 'file');
  }
}

/** busboy's words for a body that stops inside the form; anything else it reports is malformed data. */
const CUT_SHORT_MESSAGES = new Set(['Unexpected end of form', 'Unexpected end of file']);

function multipartError(error: unknown): InvalidInputError {
  const message = describeError(error);
  if (CUT_SHORT_MESSAGES.has(message)) return new InvalidInputError('The upload ended before the multipart data was complete; send the whole file again.', 'file');
  return new InvalidInputError(`The upload is not valid multipart data: ${message}`, 'file');
}

/**
 * Hands the single `file` part to `store` as a stream; other parts are refused. Every way an upload
 * can go wrong (the client drops or half-closes the connection, the form stops before its closing
 * boundary, the file passes `maxBytes`) fails the file stream with the reason, so `store`, which
 * owns the partial file, removes it and closes it; the promise settles only after that.
 */
function receiveUpload<T>(request: IncomingMessage, maxBytes: number, store: (file: AsyncIterable<Uint8Array>, name: string) => Promise<T>): Promise<T> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_ENVELOPE_BYTES) return Promise.reject(new UploadTooLargeError(maxBytes));
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // One byte over the cap, so a file of exactly maxBytes is still whole.
      parser = busboy({ headers: request.headers, limits: { files: 1, fields: 0, parts: 1, fileSize: maxBytes + 1 } });
    } catch {
      reject(new InvalidInputError('Send the dump as multipart/form-data with one "file" field.', 'file'));
      return;
    }
    let file: Readable | null = null;
    let storing = false;
    let failure: Error | null = null;

    const fail = (error: Error): void => {
      if (failure) return;
      failure = error;
      // Not from inside busboy's own callback ('limit' is emitted mid-write, and busboy touches
      // the file stream again after it): on the next tick.
      process.nextTick(() => {
        request.unpipe(parser);
        parser.destroy();
        // store() sees the error on its stream and cleans up; until it has, the answer waits.
        if (file && !file.destroyed) file.destroy(error);
        if (!storing) reject(error);
      });
    };

    parser.on('file', (field, stream, info) => {
      // Listen first: busboy can fail this stream before store() starts reading it.
      stream.on('error', (error) => fail(multipartError(error)));
      if (field !== 'file' || failure) {
        stream.resume();
        fail(failure ?? new InvalidInputError(`Unexpected field "${field}"; send the dump in a field named "file".`, 'file'));
        return;
      }
      file = stream;
      stream.once('limit', () => fail(new UploadTooLargeError(maxBytes)));
      storing = true;
      // A dump that was stored whole stands even if the form fails after its file part. When
      // store() refuses the dump itself (a typed error), stopping its read makes busboy fail too:
      // store's reason is the one to answer with, not that consequence.
      store(stream, info.filename ?? 'upload').then(resolve, (error: unknown) => reject(DOMAIN_ERRORS.some((type) => error instanceof type) ? error : (failure ?? error)));
    });
    parser.on('error', (error) => fail(multipartError(error)));
    parser.on('close', () => {
      if (!file) fail(new InvalidInputError('The upload holds no "file" field.', 'file'));
    });
    request.on('error', () => fail(new InvalidInputError('The connection failed before the whole upload arrived.', 'file')));
    request.on('close', () => {
      if (!request.complete) fail(new InvalidInputError('The connection closed before the whole upload arrived.', 'file'));
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
    const status = error instanceof UploadTooLargeError ? 413 : error instanceof NotFoundError ? 404 : error instanceof InvalidInputError ? 400 : typed ? 409 : 500;
    // The rest of a body left unread is dropped briefly by the edge (watchRequestBody), then cut.
    sendJson(response, status, { error: { type: typed ? (error as Error).name : 'InternalError', message: typed ? (error as Error).message : 'Unexpected error; see the server log.' } });
    if (!typed) console.error('Backup route failed:', error);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
