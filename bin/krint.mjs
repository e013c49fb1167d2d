#!/usr/bin/env node
// Starts Krint in the role named by Krint__Role: the control plane (default) or a node. The
// workspaces ship TypeScript sources, compiled on load by tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const role = (process.env.Krint__Role ?? 'control-plane').trim().toLowerCase();
if (role === 'node') {
  const { runNode } = await import('../agent/src/node/main.ts');
  await runNode().catch((error) => {
    console.error(error?.name === 'NodeConfigError' ? error.message : error);
    process.exit(1);
  });
} else if (role === 'control-plane' || role === 'controlplane' || role === '') {
  await import('../server/src/main.ts');
} else {
  console.error(`Krint__Role must be "control-plane" or "node" (got "${process.env.Krint__Role}").`);
  process.exit(1);
}
