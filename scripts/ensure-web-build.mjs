#!/usr/bin/env node
// Runs before `npm start`: builds the web client when it has not been built yet, or when its
// sources are newer than the build, so a fresh checkout serves the real client on first start.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web');
const built = path.join(web, 'dist/index.html');

function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestSource(path.join(web, 'src')), statSync(path.join(web, 'index.html')).mtimeMs);
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  console.log('Building the web client (first start or changed sources)...');
  execFileSync('npm', ['run', 'build', '-w', '@krint/web'], { stdio: 'inherit', cwd: path.dirname(web) });
}
