#!/usr/bin/env node
// The `krint` command in a checkout: the TypeScript sources compiled on load by tsx, so there is no
// build step to forget. The package and the image run the same command compiled ahead of time
// (release/build-package.ts).
import { register } from 'tsx/esm/api';

register();
const { runKrintCommand } = await import('../server/src/krint-command.ts');
await runKrintCommand();
