/**
 * Entry of the compiled package (`dist/krint.js`, see build-package.ts): the `krint` command with
 * the web client that the package carries beside it.
 */
import { fileURLToPath } from 'node:url';
import { runKrintCommand } from '../server/src/krint-command.js';

await runKrintCommand({ webRoot: fileURLToPath(new URL('./web', import.meta.url)) });
