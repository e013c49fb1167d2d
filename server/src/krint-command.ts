/**
 * The `krint` command: starts the role named by `Krint__Role`, the control plane (default) or a
 * node. The checkout runs it through `bin/krint.mjs` (TypeScript compiled on load), the package
 * and the image run the same code compiled ahead of time. Each role is imported only when chosen,
 * so a node never loads the control plane and the control plane never loads the SignalR client.
 */
export interface KrintCommandOptions {
  /** Folder of the built web client, when it is not `web/dist` of the checkout. */
  readonly webRoot?: string;
}

export type KrintRole = 'control-plane' | 'node';

/** The role in `Krint__Role` (case and spacing forgiven, `controlplane` accepted), or an error naming the choices. */
export function parseRole(value: string | undefined): KrintRole | Error {
  const role = (value ?? '').trim().toLowerCase();
  if (role === '' || role === 'control-plane' || role === 'controlplane') return 'control-plane';
  if (role === 'node') return 'node';
  return new Error(`Krint__Role must be "control-plane" or "node" (got "${value}").`);
}

export async function runKrintCommand(options: KrintCommandOptions = {}): Promise<void> {
  const role = parseRole(process.env.Krint__Role);
  if (role instanceof Error) {
    console.error(role.message);
    process.exit(1);
  }
  if (role === 'node') {
    const { runNode, NodeConfigError } = await import('@krint/agent/node');
    await runNode().catch((error: unknown) => {
      console.error(error instanceof NodeConfigError ? error.message : error);
      process.exit(1);
    });
    return;
  }
  const { runControlPlane } = await import('./main.js');
  await runControlPlane(options);
}
