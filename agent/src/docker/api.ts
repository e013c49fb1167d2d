import { Agent, request, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type {
  ContainerCreateOptions,
  ContainerInspect,
  ContainerStatsSample,
  ContainerSummary,
  DockerEvent,
  DockerVersion,
  ExecCreateOptions,
  ExecInspect,
  ImageInspect,
  ListFilters,
  PullProgress,
  VolumeInspect,
  VolumeList,
} from './api-types.js';

/**
 * A small client for the Docker Engine API over `node:http`, covering what Krint uses. It exists
 * instead of dockerode, whose import alone loads an SSH and a gRPC stack Krint never uses (about a
 * quarter of an idle agent's memory). No API version is pinned: the daemon answers with its own.
 */

/** Where the daemon listens: a unix socket or a plain TCP address. */
export type DockerEndpoint = { readonly socketPath: string } | { readonly host: string; readonly port: number };

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** The port of `tcp://host` without one, as for the docker CLI without TLS. */
const DEFAULT_TCP_PORT = 2375;

/**
 * The endpoint `DOCKER_HOST` names (`unix:///path` or `tcp://host:port`), or the local socket
 * when it is unset. TLS and SSH transports are refused with a clear error rather than tried
 * without, so a misconfigured host is never spoken to in plain text by surprise.
 */
export function parseDockerHost(value: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const raw = value?.trim();
  if (!raw) return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (env.DOCKER_TLS_VERIFY) throw new Error('DOCKER_TLS_VERIFY is set, but Krint speaks to Docker without TLS; use a unix socket or a plain tcp:// address.');
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`DOCKER_HOST=${raw} does not name an absolute socket path.`);
    return { socketPath };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`DOCKER_HOST=${raw} is not a unix:// or tcp:// address.`);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:') throw new Error(`DOCKER_HOST=${raw}: only unix:// and tcp:// are supported.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`DOCKER_HOST=${raw} names no host.`);
  return { host, port: url.port ? Number(url.port) : DEFAULT_TCP_PORT };
}

/** The daemon's `{"message": ...}` error body. */
export interface DockerErrorBody {
  readonly message: string;
}

/**
 * An error status from the Docker API. `statusCode` is the HTTP status (304 included: Docker uses
 * it for "already started / stopped"), `json` the daemon's error body when it sent one.
 */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    readonly statusCode: number,
    readonly json: DockerErrorBody | null,
    readonly request: string,
  ) {
    super(json?.message ?? `Docker answered HTTP ${statusCode} to ${request}`);
  }
}

/** An `error` line in a progress stream that started with 200 (a pull that failed on its way). */
export class DockerStreamError extends Error {
  override readonly name = 'DockerStreamError';
}

type QueryValue = string | number | boolean | ListFilters | undefined;
type Query = Record<string, QueryValue>;

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly headers?: OutgoingHttpHeaders;
}

/** Limits what an error body can cost; the daemon's messages are a few hundred bytes. */
const ERROR_BODY_LIMIT = 64 * 1024;

export class DockerClient {
  readonly endpoint: DockerEndpoint;
  // Connections are reused between requests; idle ones do not keep the process alive.
  readonly #agent = new Agent({ keepAlive: true });

  constructor(endpoint: DockerEndpoint = parseDockerHost(process.env.DOCKER_HOST)) {
    this.endpoint = endpoint;
  }

  version(): Promise<DockerVersion> {
    return this.json('GET', '/version');
  }

  listContainers(options: { all?: boolean; filters?: ListFilters } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', { query: { all: options.all, filters: options.filters } });
  }

  async createContainer(options: ContainerCreateOptions): Promise<ContainerHandle> {
    const { name, ...body } = options;
    const created = await this.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
    return new ContainerHandle(this, created.Id);
  }

  getContainer(id: string): ContainerHandle {
    return new ContainerHandle(this, id);
  }

  listVolumes(options: { filters?: ListFilters } = {}): Promise<VolumeList> {
    return this.json('GET', '/volumes', { query: { filters: options.filters } });
  }

  createVolume(options: { Name: string; Labels?: Record<string, string> }): Promise<VolumeInspect> {
    return this.json('POST', '/volumes/create', { body: options });
  }

  getVolume(name: string): VolumeHandle {
    return new VolumeHandle(this, name);
  }

  /** Attaches a container to a network; attaching it again is not an error. */
  async connectNetwork(network: string, containerId: string): Promise<void> {
    try {
      await this.json('POST', `/networks/${encodeURIComponent(network)}/connect`, { body: { Container: containerId } });
    } catch (error) {
      // Docker answers 403 "endpoint ... already exists" when it is attached already.
      if (!(error instanceof DockerApiError && error.statusCode === 403 && /already exists/i.test(error.message))) throw error;
    }
  }

  getImage(name: string): ImageHandle {
    return new ImageHandle(this, name);
  }

  /**
   * Pulls `image` (`name`, `name:tag` or `name@digest`; `latest` when no tag is given) and yields
   * Docker's progress lines as they arrive. A failure the daemon reports inside the stream throws
   * {@link DockerStreamError}; aborting `signal` ends the request.
   */
  async *pull(image: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<PullProgress> {
    const { repository, tag } = splitImageReference(image);
    const response = await this.stream('POST', '/images/create', { query: { fromImage: repository, tag }, signal: options.signal });
    try {
      for await (const line of jsonLines(response)) {
        const parsed = line as PullProgress & { error?: string; errorDetail?: { message?: string } };
        if (parsed.error || parsed.errorDetail?.message) throw new DockerStreamError(parsed.errorDetail?.message ?? parsed.error ?? 'unknown error');
        yield parsed;
      }
    } finally {
      response.destroy();
    }
  }

  /**
   * `GET /events` with `filters` (Docker's filter map: `{ type: ['container'], label: [...] }`):
   * each event as it happens, until `signal` aborts or the daemon goes away (the generator then
   * ends or throws; the caller decides whether to watch again).
   */
  async *events(filters: Record<string, string[]>, options: { signal?: AbortSignal } = {}): AsyncGenerator<DockerEvent> {
    const response = await this.stream('GET', '/events', { query: { filters: JSON.stringify(filters) }, signal: options.signal });
    try {
      for await (const line of jsonLines(response)) yield line as DockerEvent;
    } finally {
      response.destroy();
    }
  }

  /** A request whose (JSON or empty) body is read whole; an error status throws {@link DockerApiError}. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send(method, path, options);
    const body = await readBody(response, Number.POSITIVE_INFINITY);
    if (response.statusCode! >= 300) throw apiError(response, body, method, path);
    if (body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  /**
   * A request whose body is handed out as it arrives. Destroying the stream (or aborting
   * `signal`) closes the connection.
   */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Readable> {
    const response = await this.#send(method, path, options);
    if (response.statusCode! >= 300) throw apiError(response, await readBody(response, ERROR_BODY_LIMIT), method, path);
    return response;
  }

  /**
   * A request upgraded to the raw connection (`Upgrade: tcp`), as `docker exec -i` uses: the
   * returned socket carries stdin one way and the command's output the other.
   */
  hijack(path: string, body: unknown): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = this.#request('POST', path, { body, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
      req.once('upgrade', (_response: IncomingMessage, socket: Duplex, head: Buffer) => {
        // Output that arrived with the 101 answer belongs at the front of the stream.
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.once('response', (response: IncomingMessage) => {
        readBody(response, ERROR_BODY_LIMIT).then(
          (bodyBytes) =>
            reject(
              response.statusCode! >= 300
                ? apiError(response, bodyBytes, 'POST', path)
                : new DockerApiError(response.statusCode!, { message: 'Docker did not switch the connection to a raw stream.' }, `POST ${path}`),
            ),
          reject,
        );
      });
      req.on('error', reject);
    });
  }

  #target(): { socketPath: string; agent: Agent } | { host: string; port: number; agent: Agent } {
    return 'socketPath' in this.endpoint
      ? { socketPath: this.endpoint.socketPath, agent: this.#agent }
      : { host: this.endpoint.host, port: this.endpoint.port, agent: this.#agent };
  }

  #send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.#request(method, path, options);
      req.once('response', resolve);
      // Also after the answer: a connection that fails mid-body surfaces through the response stream.
      req.on('error', reject);
    });
  }

  /**
   * Sends a request with its query string, its body as JSON (with Content-Type and Content-Length)
   * and `options.headers`; the answer arrives as events on the returned request. Listeners attached
   * right after the call miss nothing: the request only reports on a later turn of the event loop.
   */
  #request(method: string, path: string, options: RequestOptions): ClientRequest {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: OutgoingHttpHeaders = { ...options.headers, 'Content-Length': payload?.length ?? 0 };
    if (payload) headers['Content-Type'] = 'application/json';
    const req = request({ ...this.#target(), method, path: path + queryString(options.query), headers, ...(options.signal ? { signal: options.signal } : {}) });
    req.end(payload);
    return req;
  }
}

export class ContainerHandle {
  constructor(
    readonly client: DockerClient,
    readonly id: string,
  ) {}

  get #path(): string {
    return `/containers/${encodeURIComponent(this.id)}`;
  }

  inspect(): Promise<ContainerInspect> {
    return this.client.json('GET', `${this.#path}/json`);
  }

  /** Starting a running container answers 304, thrown as a {@link DockerApiError} like any other status. */
  async start(): Promise<void> {
    await this.client.json('POST', `${this.#path}/start`);
  }

  async stop(options: { t?: number } = {}): Promise<void> {
    await this.client.json('POST', `${this.#path}/stop`, { query: { t: options.t } });
  }

  async restart(options: { t?: number } = {}): Promise<void> {
    await this.client.json('POST', `${this.#path}/restart`, { query: { t: options.t } });
  }

  /** `v` also removes the container's anonymous volumes. */
  async remove(options: { v?: boolean; force?: boolean } = {}): Promise<void> {
    await this.client.json('DELETE', this.#path, { query: { v: options.v, force: options.force } });
  }

  /**
   * The log as Docker sends it: multiplexed frames for a container without a TTY, raw bytes for
   * one with a TTY. With `follow`, the stream stays open until the container stops or it is destroyed.
   */
  logs(options: { follow?: boolean; stdout?: boolean; stderr?: boolean; timestamps?: boolean; tail?: number; signal?: AbortSignal }): Promise<Readable> {
    const { signal, ...query } = options;
    return this.client.stream('GET', `${this.#path}/logs`, { query, ...(signal ? { signal } : {}) });
  }

  /** One sample; Docker takes two readings about a second apart to fill in `precpu_stats`. */
  stats(): Promise<ContainerStatsSample> {
    return this.client.json('GET', `${this.#path}/stats`, { query: { stream: false } });
  }

  async exec(options: ExecCreateOptions): Promise<ExecHandle> {
    const created = await this.client.json<{ Id: string }>('POST', `${this.#path}/exec`, { body: options });
    return new ExecHandle(this.client, created.Id);
  }
}

export class ExecHandle {
  constructor(
    readonly client: DockerClient,
    readonly id: string,
  ) {}

  /**
   * Starts the command on a hijacked connection: write to the stream for stdin (when the exec
   * attaches it; `end()` closes stdin), read it for the output (multiplexed frames without a
   * TTY). Destroying the stream ends the command's connection.
   */
  start(options: { tty?: boolean } = {}): Promise<Duplex> {
    return this.client.hijack(`/exec/${encodeURIComponent(this.id)}/start`, { Detach: false, Tty: options.tty ?? false });
  }

  async resize(size: { w: number; h: number }): Promise<void> {
    await this.client.json('POST', `/exec/${encodeURIComponent(this.id)}/resize`, { query: { w: size.w, h: size.h } });
  }

  inspect(): Promise<ExecInspect> {
    return this.client.json('GET', `/exec/${encodeURIComponent(this.id)}/json`);
  }
}

export class VolumeHandle {
  constructor(
    readonly client: DockerClient,
    readonly name: string,
  ) {}

  inspect(): Promise<VolumeInspect> {
    return this.client.json('GET', `/volumes/${encodeURIComponent(this.name)}`);
  }

  async remove(options: { force?: boolean } = {}): Promise<void> {
    await this.client.json('DELETE', `/volumes/${encodeURIComponent(this.name)}`, { query: { force: options.force } });
  }
}

export class ImageHandle {
  constructor(
    readonly client: DockerClient,
    readonly name: string,
  ) {}

  inspect(): Promise<ImageInspect> {
    // Image names contain slashes, which the daemon's route takes as part of the name.
    return this.client.json('GET', `/images/${this.name.split('/').map(encodeURIComponent).join('/')}/json`);
  }
}

/** `repo[:tag]` or `repo@digest` split for `POST /images/create`; a registry's `host:port/` is not a tag. */
export function splitImageReference(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  if (at !== -1) return { repository: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag: 'latest' };
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The body, up to `limit` bytes (the rest is drained and dropped). */
async function readBody(response: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (size >= limit) continue;
    parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts);
}

function apiError(response: IncomingMessage, body: Buffer, method: string, path: string): DockerApiError {
  let json: DockerErrorBody | null = null;
  const text = body.toString('utf8').trim();
  if (text) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      json = { message: typeof parsed.message === 'string' ? parsed.message : text };
    } catch {
      json = { message: text };
    }
  }
  return new DockerApiError(response.statusCode!, json, `${method} ${path}`);
}

/** Newline-separated JSON values as they complete; characters split between reads are kept whole. */
async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending += decoder.write(chunk);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const value = line ? parse(line) : undefined;
      if (value !== undefined) yield value;
      newline = pending.indexOf('\n');
    }
  }
  const last = (pending + decoder.end()).trim();
  const value = last ? parse(last) : undefined;
  if (value !== undefined) yield value;
}
