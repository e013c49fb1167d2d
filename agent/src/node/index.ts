/**
 * The node process: the agent carried over the hub to a control plane. A separate entry point
 * (`@krint/agent/node`) so the control plane, which imports `@krint/agent` for its in-process
 * handler, never loads the SignalR client and MessagePack that only a node needs.
 */
export { NodeProcess, type NodeLogger, type NodeProcessOptions, type NodeState } from './node-process.js';
export { readNodeConfig, NodeConfigError, type NodeConfig } from './node-config.js';
export { runNode } from './main.js';
