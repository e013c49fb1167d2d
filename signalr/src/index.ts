export { HubServer, type MappedHub } from './hub-server.js';
export { Hub, type MethodOptions, type MethodHandler, type StreamHandler, type ConnectedHandler, type DisconnectedHandler } from './hub.js';
export type {
  ClientProxy,
  CloseOptions,
  GroupManager,
  HubCallContext,
  HubCallerClients,
  HubClients,
  HubConnectionInfo,
  InvokeOptions,
  SingleClientProxy,
} from './hub-context.js';
export type { AuthenticationRequest, HubServerOptions, NegotiateDecision } from './hub-options.js';
export type { HubProtocolName } from './hub-protocol.js';
export { HubError } from './errors/hub-error.js';
export { ClientResultError } from './errors/client-result.error.js';
export { ClientResultTimeoutError } from './errors/client-result-timeout.error.js';
export { ConnectionLostError } from './errors/connection-lost.error.js';
export { CLIENT_RESULT_CANCELED } from './client-results.js';
