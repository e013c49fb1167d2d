import { createServer, type Server } from 'node:http';
import { HubConnectionBuilder, HttpTransportType, LogLevel, type HubConnection, type ILogger } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { CommandExecutor } from '../protocol/commands.js';
import { NODE_HUB_PATH, NodeHubMethods, type NodeRegistration, type RegistrationResult } from '../protocol/node-messages.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { NodeBridge } from './node-bridge.js';
import type { NodeConfig } from './node-config.js';

export interface NodeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface NodeProcessOptions {
  readonly config: NodeConfig;
  /** The same executor the control plane runs in-process for its own Docker host. */
  readonly executor: CommandExecutor;
  readonly logger: NodeLogger;
  readonly backoff?: BackoffOptions;
}

export type NodeState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/**
 * A node: dials out to the control plane's hub, registers, stays connected for ever, and runs
 * whatever the control plane sends on the local executor. Its only listener is `GET /health`.
 */
export class NodeProcess {
  readonly #options: NodeProcessOptions;
  readonly #connection: HubConnection;
  #state: NodeState = 'connecting';
  #health: Server | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #connectedSince: Date | undefined;
  #lastError: string | undefined;
  /** The id the control plane registered this node under (the token's, when Node__Id is unset). */
  #registeredId: string | undefined;

  constructor(options: NodeProcessOptions) {
    this.#options = options;
    const { config } = options;
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#connection = new HubConnectionBuilder()
      .withUrl(`${config.controlPlaneUrl}${NODE_HUB_PATH}`, {
        accessTokenFactory: () => config.token,
        transport: HttpTransportType.WebSockets,
      })
      // Dump and restore chunks are bytes: MessagePack carries them as `bin`, where JSON would
      // need them encoded as text on both ends. The control plane's node hub speaks only this.
      .withHubProtocol(new MessagePackHubProtocol())
      // Never give up: a node outlives any outage of the control plane.
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (context) => backoffDelay(context.previousRetryCount, backoff) })
      .configureLogging(quietLogger(options.logger))
      .build();
    // Dumps and restores can take long; the control plane bounds each call itself.
    this.#connection.serverTimeoutInMilliseconds = 60_000;
    this.#connection.keepAliveIntervalInMilliseconds = 15_000;
    new NodeBridge(this.#connection, options.executor);
    this.#connection.onreconnecting((error) => {
      this.#state = 'reconnecting';
      options.logger.warn(`Connection to the control plane lost${error ? ` (${error.message})` : ''}; reconnecting.`);
    });
    this.#connection.onreconnected(() => {
      void this.#afterConnect('reconnected');
    });
    this.#connection.onclose((error) => {
      if (this.#stopping) return;
      this.#state = 'connecting';
      options.logger.warn(`Connection to the control plane closed${error ? ` (${error.message})` : ''}; dialling again.`);
      this.#wake?.();
    });
  }

  get state(): NodeState {
    return this.#state;
  }

  /** The id this node is known by: the one it was registered under, or `Node__Id` (or this run's) before that. */
  get nodeId(): string {
    return this.#registeredId ?? this.#options.config.nodeId;
  }

  get healthPort(): number | undefined {
    const address = this.#health?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  /** Opens the health listener and starts dialling; resolves once the listener is up. */
  async start(): Promise<void> {
    const { config, logger } = this.#options;
    if (config.nodeIdGenerated) {
      logger.warn(
        `Node__Id is not set. With a token from "Add node" the node takes the id that token was made for (logged once registered); with a pre-shared token this run uses the generated id ${config.nodeId}. Set Node__Id to keep the node's identity explicit across restarts.`,
      );
    }
    this.#health = createServer((request, response) => {
      if (request.method === 'GET' && request.url?.split('?')[0] === '/health') {
        const connected = this.#state === 'connected';
        response.writeHead(connected ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: connected ? 'connected' : this.#state, nodeId: this.nodeId, name: config.name, connectedSince: this.#connectedSince?.toISOString() ?? null, lastError: this.#lastError ?? null }));
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      this.#health!.once('error', reject);
      this.#health!.listen(config.healthPort, config.healthHost, () => resolve());
    });
    logger.info(`Node "${config.name}" (${config.nodeId}) health endpoint on port ${this.healthPort}; dialling ${config.controlPlaneUrl}${NODE_HUB_PATH}.`);
    void this.#dialForever();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#state = 'stopped';
    this.#wake?.();
    await this.#connection.stop().catch(() => undefined);
    await new Promise<void>((resolve) => (this.#health ? this.#health.close(() => resolve()) : resolve()));
  }

  /** Connects, and after any close connects again, with capped, jittered backoff. */
  async #dialForever(): Promise<void> {
    const { logger } = this.#options;
    const backoff = this.#options.backoff ?? DEFAULT_BACKOFF;
    let attempt = 0;
    let lastLogged = '';
    while (!this.#stopping) {
      if (this.#connection.state === 'Disconnected') {
        this.#state = 'connecting';
        try {
          await this.#connection.start();
          attempt = 0;
          lastLogged = '';
          await this.#afterConnect('connected');
        } catch (error) {
          const message = describeConnectError(error);
          this.#lastError = message;
          // One line per distinct failure, not one per attempt: a wrong token must not flood logs.
          if (message !== lastLogged) {
            logger.error(`Cannot connect to the control plane: ${message} Retrying with backoff.`);
            lastLogged = message;
          }
          attempt += 1;
        }
      }
      const delay = this.#connection.state === 'Disconnected' ? backoffDelay(attempt, backoff) : 60_000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #afterConnect(how: 'connected' | 'reconnected'): Promise<void> {
    const { config, logger, executor } = this.#options;
    try {
      const info = await executor.run('agent.info', {});
      const registration: NodeRegistration = { ...info, nodeId: this.nodeId, name: config.name, nodeIdGenerated: config.nodeIdGenerated && this.#registeredId === undefined, ...(config.publicHost ? { publicHost: config.publicHost } : {}) };
      const result = await this.#connection.invoke<RegistrationResult>(NodeHubMethods.register, registration);
      if (!result.accepted) {
        this.#lastError = result.reason;
        logger.error(`The control plane refused the registration: ${result.reason}`);
        await this.#connection.stop();
        return;
      }
      if (result.nodeId !== this.nodeId) {
        // Only with Node__Id unset: the control plane refuses a configured id that is not the token's.
        logger.warn(`The control plane registered this node under ${result.nodeId}, the id its token was made for (not this run's generated ${this.nodeId}). Set Node__Id=${result.nodeId} to say so explicitly.`);
      }
      this.#registeredId = result.nodeId;
      this.#state = 'connected';
      this.#connectedSince = new Date();
      this.#lastError = undefined;
      logger.info(`${how === 'connected' ? 'Connected' : 'Reconnected'} and registered as "${config.name}" (${this.nodeId}).`);
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error);
      logger.error(`Registration failed: ${this.#lastError}`);
      await this.#connection.stop().catch(() => undefined);
    }
  }
}

function describeConnectError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/401|Unauthorized/i.test(message)) return 'the control plane refused the token (401).';
  if (/ECONNREFUSED/.test(message)) return 'connection refused (is the control plane running and the URL right?).';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'the host name does not resolve.';
  if (/protocol 'messagepack' is not supported/.test(message)) return 'the control plane does not speak the MessagePack hub protocol (it runs an older Krint); run the same Krint version on both.';
  return message;
}

/** The client library logs every failed attempt; keep only its errors, once each. */
function quietLogger(logger: NodeLogger): ILogger {
  return {
    log(level: LogLevel, message: string) {
      if (level >= LogLevel.Critical) logger.error(message);
    },
  };
}
