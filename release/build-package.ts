/**
 * `npm run package`: Krint as one installable npm package, compiled ahead of time.
 *
 *   dist/package/            the package folder (what the image installs)
 *     package.json           name, version, `krint` bin and the third-party dependencies
 *     dist/krint.js          the `krint` command (control plane or node, by Krint__Role)
 *     dist/chunk-*.js        code loaded on demand (each role, each engine's driver glue)
 *     dist/web/              the built web client
 *   dist/krint-<version>.tgz the same, packed (`npm install -g ./krint-<version>.tgz && krint`)
 *
 * esbuild bundles Krint's own workspaces (TypeScript) into plain JavaScript; every third-party
 * package stays an ordinary dependency that npm installs, because several load files, native
 * addons or drivers by name at run time (MikroORM, better-sqlite3, bufferutil, the database
 * drivers) and would break inside a bundle. Those dependencies are not restated anywhere: they are
 * gathered from the `dependencies` of the workspaces that the bundle contains, and the build fails
 * when the bundle imports a package that none of them declares.
 *
 * Options: `--no-pack` stops after the package folder; `--out DIR` writes there instead of `dist/`.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly license?: string;
  readonly engines?: Record<string, string>;
  readonly workspaces?: readonly string[];
  readonly dependencies?: Record<string, string>;
}

export interface BuiltPackage {
  /** The package folder. */
  readonly folder: string;
  /** The packed tarball, unless packing was skipped. */
  readonly tarball: string | null;
  readonly version: string;
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as Manifest;
}

/** `pg`, `@mikro-orm/core`, … from an import specifier such as `graphql/index.js`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Krint's own workspaces are bundled; every other bare import stays a run-time dependency. */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@krint/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** The workspace folders (relative to the root) that hold the bundle's inputs. */
function bundledWorkspaces(metafile: Metafile, workspaceFolders: readonly string[]): string[] {
  const used = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const folder = workspaceFolders.find((candidate) => input.startsWith(`${candidate}/`));
    if (folder) used.add(folder);
  }
  return [...used].sort();
}

/** Every folder matched by the root manifest's `workspaces` globs (only `dir/*` patterns are used). */
function workspaceFolders(root: Manifest): string[] {
  const folders = new Set<string>();
  for (const pattern of root.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const entry of readdirSync(path.join(ROOT, parent))) {
        if (existsSync(path.join(ROOT, parent, entry, 'package.json'))) folders.add(`${parent}/${entry}`);
      }
    } else {
      folders.add(pattern);
    }
  }
  // Longest first, so `engines/sdk` is found before a shorter prefix would be.
  return [...folders].sort((a, b) => b.length - a.length);
}

/** The run-time dependencies of the bundled workspaces; a version conflict between two of them fails the build. */
function gatherDependencies(folders: readonly string[], externals: ReadonlySet<string>): Record<string, string> {
  const dependencies: Record<string, string> = {};
  const declaredBy: Record<string, string> = {};
  for (const folder of folders) {
    for (const [name, range] of Object.entries(readManifest(path.join(ROOT, folder)).dependencies ?? {})) {
      if (name.startsWith('@krint/')) continue;
      const previous = dependencies[name];
      if (previous !== undefined && previous !== range) {
        throw new Error(`${name} is declared as "${previous}" in ${declaredBy[name]} and as "${range}" in ${folder}; use one range.`);
      }
      dependencies[name] = range;
      declaredBy[name] = folder;
    }
  }
  const undeclared = [...externals].filter((name) => !(name in dependencies));
  if (undeclared.length > 0) {
    throw new Error(`The bundle imports ${undeclared.join(', ')}, which no bundled workspace lists in its dependencies.`);
  }
  return Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Ships the checkout's resolved dependency tree as `npm-shrinkwrap.json`, so an install gets the
 * versions this repository was tested with rather than the newest ones its ranges allow. npm
 * derives it from the repository's lock file: entries the package still needs keep their locked
 * versions, the workspaces' entries are dropped.
 */
function lockDependencies(folder: string): void {
  cpSync(path.join(ROOT, 'package-lock.json'), path.join(folder, 'package-lock.json'));
  const npm = (...args: string[]) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'] });
  npm('install', '--package-lock-only', '--prefer-offline', '--ignore-scripts');
  npm('shrinkwrap');
}

export async function buildPackage(options: { outDir?: string; pack?: boolean } = {}): Promise<BuiltPackage> {
  const outDir = path.resolve(ROOT, options.outDir ?? 'dist');
  const folder = path.join(outDir, 'package');
  const root = readManifest(ROOT);

  // The web client is built by Vite (its own bundler); the package carries the result.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/ensure-web-build.mjs')], { stdio: 'inherit', cwd: ROOT });

  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { krint: 'release/package-entry.ts' },
    outdir: path.join(folder, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Chunks sit beside the entry: code that finds `../package.json` from its own file (the agent
    // reading Krint's version) then finds the package's manifest.
    chunkNames: 'chunk-[hash]',
    plugins: [thirdPartyExternal],
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });

  const externals = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && !imported.path.startsWith('node:')) externals.add(packageNameOf(imported.path));
    }
  }
  const workspaces = bundledWorkspaces(result.metafile, workspaceFolders(root));
  const dependencies = gatherDependencies(workspaces, externals);

  const entry = path.join(folder, 'dist/krint.js');
  writeFileSync(entry, `#!/usr/bin/env node\n${readFileSync(entry, 'utf8')}`);
  // Executable in the package folder itself (the image links it onto PATH), not only where npm installs it.
  chmodSync(entry, 0o755);
  cpSync(path.join(ROOT, 'web/dist'), path.join(folder, 'dist/web'), { recursive: true });
  cpSync(path.join(ROOT, 'README.md'), path.join(folder, 'README.md'));

  const manifest = {
    name: root.name,
    version: root.version,
    description: root.description,
    license: root.license,
    type: 'module',
    engines: root.engines,
    bin: { krint: 'dist/krint.js' },
    files: ['dist', 'npm-shrinkwrap.json'],
    dependencies,
  };
  writeFileSync(path.join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  lockDependencies(folder);

  let tarball: string | null = null;
  if (options.pack !== false) {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: folder, encoding: 'utf8' })) as { filename: string }[];
    tarball = path.join(outDir, packed[0]!.filename);
  }
  return { folder, tarball, version: root.version };
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const built = await buildPackage({ ...(outIndex >= 0 ? { outDir: args[outIndex + 1] } : {}), pack: !args.includes('--no-pack') });
  console.log(`Package folder: ${built.folder}`);
  if (built.tarball) console.log(`Tarball: ${built.tarball}`);
}
