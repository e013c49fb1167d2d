import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { imageAvailable } from '@krint/engine-sdk/testing';
import { ensureBuilt, launchBrowser, removeDockerLeftovers, REPO_DIR, requirements, startControlPlane, startNode, type ControlPlane, type NodeProcess } from './harness.js';

/**
 * The web client against the real control plane, Docker and postgres:15, in Debian's Chromium:
 * sign in, launch PostgreSQL through the wizard, create a table in the query console, edit a cell
 * in the grid (checked with pg), create a user, back up and restore, watch a log line arrive and
 * run `echo` in the shell. Screenshots of every page go to docs/screenshots/.
 */
const IMAGE = 'postgres:15';
const PREFIX = 'webe2e';
const INSTANCE = `${PREFIX}-orders`;
const SHOTS = path.join(REPO_DIR, 'docs', 'screenshots');
const ready = await requirements(IMAGE);
/** The in-place upgrade step needs the next major's image too; without it only that step is skipped. */
const canUpgrade = ready && (await imageAvailable('postgres:16'));

describe.skipIf(!ready)('web client end to end', () => {
  let plane: ControlPlane;
  let browser: Browser;
  let page: Page;
  let instanceUrl = '';
  let connection: { host: string; port: number; user: string; password: string; database: string } | null = null;
  const problems: string[] = [];
  const extraInstances: string[] = [];
  let nodeProcess: NodeProcess | null = null;

  async function shot(name: string): Promise<void> {
    await page.waitForTimeout(250);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }
  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return page.evaluate(
      async ({ query, variables }) => {
        const csrf = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith('krint_csrf='))?.slice('krint_csrf='.length) ?? '';
        const response = await fetch('/graphql', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-krint-csrf': decodeURIComponent(csrf) }, body: JSON.stringify({ query, variables }) });
        return (await response.json()) as T;
      },
      { query, variables },
    );
  }
  async function withPg<T>(work: (client: pg.Client) => Promise<T>, target: { port: number; user: string; password: string; database: string } | null = connection): Promise<T> {
    if (!target) throw new Error('no connection yet');
    const client = new pg.Client({ host: '127.0.0.1', port: target.port, user: target.user, password: target.password, database: target.database });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    removeDockerLeftovers(`krint-${PREFIX}`);
    mkdirSync(SHOTS, { recursive: true });
    ensureBuilt();
    plane = await startControlPlane();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      // The sign-in check answers 401 before signing in: the browser logs that response itself.
      if (/status of 401/.test(message.text()) && problems.length === 0 && !instanceUrl) return;
      problems.push(`console: ${message.text()}`);
    });
  });

  afterEach(async (context) => {
    // A failed step leaves a picture of the page for whoever reads the log.
    if (context.task.result?.state === 'fail' && page) await page.screenshot({ path: path.join(plane.dataDir, '..', `krint-web-e2e-failure-${context.task.name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
  });

  afterAll(async () => {
    try {
      if (page && instanceUrl) {
        for (const id of [instanceUrl.split('/').pop()!, ...extraInstances]) {
          await gql('mutation($id: ID!) { deleteInstance(id: $id, deleteBackups: true) { __typename } }', { id }).catch(() => undefined);
        }
      }
    } finally {
      await nodeProcess?.stop();
      await browser?.close();
      await plane?.stop();
      removeDockerLeftovers(`krint-${PREFIX}`);
    }
  });

  it('signs in with the built-in user', async () => {
    await page.goto(`${plane.url}/`);
    await page.waitForURL(/\/login/);
    await shot('login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(plane.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('No instances yet').waitFor();
  });

  it('launches PostgreSQL through the wizard and shows the credentials', async () => {
    await page.getByRole('link', { name: '+ New instance' }).first().click();
    await page.locator('[data-engine="postgres"]').waitFor();
    await shot('create-engine');
    await page.locator('[data-engine="postgres"]').click();
    await page.getByRole('radio', { name: /^15/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('instance-name').fill(INSTANCE);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await shot('create-storage');
    await page.getByTestId('launch').click();
    await page.getByTestId('progress-steps').waitFor();
    await page.getByTestId('credentials').waitFor({ timeout: 180_000 });
    const connectionString = await page.getByTestId('connection-string').first().textContent();
    expect(connectionString).toMatch(/^postgres(ql)?:\/\//);
    await shot('create-ready');
    await page.getByTestId('open-instance').click();
    await page.getByTestId('instance-title').filter({ hasText: INSTANCE }).waitFor();
    instanceUrl = new URL(page.url()).pathname;
    const data = await gql<{ data: { instance: { connection: typeof connection } } }>('query($id: ID!) { instance(id: $id) { ... on Instance { connection { host port user password database } } } }', { id: instanceUrl.split('/').pop() });
    connection = data.data.instance.connection;
    expect(connection?.port).toBeGreaterThan(0);
    await page.getByTestId('root-password').waitFor();
    await shot('instance-overview');
  });

  it('creates a table in the query console (CodeMirror, Ctrl+Enter)', async () => {
    await page.locator('nav.tabs').getByRole('link', { name: 'Query', exact: true }).click();
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    // The console runs one statement at a time.
    await page.keyboard.type('create table items (id serial primary key, name text not null, qty int)');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.getByTestId('query-summary').textContent().catch(() => '')).toMatch(/CREATE/i);
    await page.keyboard.press('Control+a');
    await page.keyboard.type("insert into items (name, qty) values ('apple', 3), ('pear', 5)");
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.getByTestId('query-summary').textContent().catch(() => '')).toMatch(/INSERT.*2 affected/i);
    await page.keyboard.press('Control+a');
    await page.keyboard.type('select * from items order by id');
    await page.keyboard.press('Control+Enter');
    await page.getByRole('grid', { name: 'Query results' }).getByText('pear').waitFor();
    await shot('query-console');
    // A bad query shows the server's message in place.
    await page.keyboard.press('Control+a');
    await page.keyboard.type('select * from no_such_table');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.getByTestId('query-error').textContent()).toMatch(/no_such_table/);
  });

  it('edits a cell in the grid and the change is in PostgreSQL', async () => {
    await page.locator('nav.tabs').getByRole('link', { name: 'Browse', exact: true }).click();
    await page.locator('[data-table="items"]').click();
    const cell = page.locator('td[data-column="name"]').first();
    await cell.waitFor();
    await expect.poll(() => cell.textContent()).toBe('apple');
    await cell.dblclick();
    const input = page.getByLabel('Edit name');
    await input.fill('green apple');
    await input.press('Enter');
    await expect.poll(() => page.locator('td[data-column="name"]').first().textContent()).toBe('green apple');
    const stored = await withPg(async (c) => (await c.query<{ name: string }>('select name from items where id = 1')).rows[0]?.name);
    expect(stored).toBe('green apple');
    // Keyboard: move right to qty, type a number, Enter saves.
    await page.locator('td[data-column="qty"]').first().click();
    await page.keyboard.type('42');
    await page.keyboard.press('Enter');
    await expect.poll(() => withPg(async (c) => (await c.query<{ qty: number }>('select qty from items where id = 1')).rows[0]?.qty)).toBe(42);
    await shot('browser-grid');
  });

  it('creates a user and shows its password once', async () => {
    await page.locator('nav.tabs').getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('new-user-name').fill('reporting');
    await page.getByRole('button', { name: 'Create user' }).click();
    const password = await page.getByTestId('shown-password').textContent();
    expect(password?.length).toBeGreaterThanOrEqual(8);
    await shot('user-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-user="reporting"]').waitFor();
    const canLogin = await withPg(async () => {
      const client = new pg.Client({ host: '127.0.0.1', port: connection!.port, user: 'reporting', password: password!, database: 'postgres' });
      await client.connect();
      await client.end();
      return true;
    });
    expect(canLogin).toBe(true);
  });

  it('backs up and restores into a second instance, with the backed-up value', async () => {
    // A second PostgreSQL instance to restore into (made through the API; the wizard is covered above).
    const provisioned = await gql<{ data: { provisionInstance: { id?: string; message?: string } } }>(
      `mutation { provisionInstance(input: { engine: "postgres", version: "15", name: "${PREFIX}-restored" }) { ... on Instance { id } ... on Error { message } } }`,
    );
    const targetId = provisioned.data.provisionInstance.id;
    expect(provisioned.data.provisionInstance.message).toBeUndefined();
    extraInstances.push(targetId!);

    await page.locator('nav.tabs').getByRole('link', { name: 'Backups', exact: true }).click();
    await page.getByTestId('backup-now').click();
    await page.locator('[data-backup]').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator('[data-backup] [data-state]').first().getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded');
    await shot('backups');
    // Changed after the backup: the restored copy must have the value from before.
    await withPg((c) => c.query("update items set name = 'changed after backup' where id = 1"));
    await expect.poll(async () => (await gql<{ data: { instances: { id: string; status: string }[] } }>('{ instances { id status } }')).data.instances.find((i) => i.id === targetId)?.status, { timeout: 180_000, interval: 1000 }).toBe('READY');
    await page.getByRole('button', { name: 'Restore…' }).first().click();
    await page.getByTestId('restore-target').selectOption(targetId!);
    await page.getByTestId('restore-confirm').click();
    await page.locator('[data-testid="restore-done"], .dialog [role="alert"]').first().waitFor({ timeout: 180_000 });
    await shot('restore-done');
    expect(await page.getByTestId('restore-done').count()).toBe(1);
    await page.locator('.dialog footer').getByRole('button', { name: 'Close' }).click();
    const target = await gql<{ data: { instance: { connection: { port: number; user: string; password: string; database: string } } } }>('query($id: ID!) { instance(id: $id) { ... on Instance { connection { port user password database } } } }', { id: targetId });
    const restored = await withPg(async (c) => (await c.query<{ name: string }>('select name from items where id = 1')).rows[0]?.name, target.data.instance.connection);
    expect(restored).toBe('green apple');
  });

  it.skipIf(!canUpgrade)('upgrades the restored instance from 15 to 16 in place, following the steps live', async () => {
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Instances', exact: true }).click();
    await page.getByRole('button', { name: `Actions for ${PREFIX}-restored` }).click();
    await page.getByRole('menuitem', { name: 'Upgrade…' }).click();
    await page.locator('.dialog select').selectOption('16');
    await page.locator('.dialog footer').getByRole('button', { name: 'Upgrade to 16' }).click();
    await expect.poll(() => page.getByTestId('progress-final').textContent().catch(() => null), { timeout: 180_000, interval: 1000 }).toMatch(/Upgraded to 16/);
    await shot('upgrade');
    await page.locator('.dialog footer').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.locator(`[data-instance="${PREFIX}-restored"]`).textContent(), { timeout: 30_000 }).toMatch(/PostgreSQL\s*16/);
    const target = await gql<{ data: { instances: { name: string; connection: { port: number; user: string; password: string; database: string } }[] } }>('{ instances { name connection { port user password database } } }');
    const restored = target.data.instances.find((i) => i.name === `${PREFIX}-restored`)!.connection;
    // The data restored from the backup survived the upgrade.
    expect(await withPg(async (c) => (await c.query<{ name: string }>('select name from items where id = 1')).rows[0]?.name, restored)).toBe('green apple');
    await page.goto(`${plane.url}${instanceUrl}`);
    await page.getByTestId('instance-title').filter({ hasText: INSTANCE }).waitFor();
  });

  it('streams container logs and a new line arrives', async () => {
    await page.locator('nav.tabs').getByRole('link', { name: 'Console', exact: true }).click();
    const lines = page.getByTestId('log-lines');
    await expect.poll(() => lines.locator('.line').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    // PostgreSQL logs every failed statement: cause one and watch it arrive.
    await withPg((c) => c.query('select 1/0').catch(() => undefined));
    await lines.getByText('division by zero').first().waitFor({ timeout: 60_000 });
    // A burst comes as a few events of many lines each; every line lands in the view, in order.
    await withPg((c) => c.query(`copy (select 'web-burst-' || g from generate_series(1, 1000) g) to program 'cat >&2'`));
    await lines.getByText('web-burst-1000', { exact: true }).waitFor({ timeout: 60_000 });
    const burst = await lines.locator('.line').filter({ hasText: /web-burst-\d+$/ }).allTextContents();
    expect(burst.map((text) => text.match(/web-burst-(\d+)$/)?.[1])).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
    await page.getByTestId('log-search').fill('division');
    await expect.poll(() => lines.locator('mark').count()).toBeGreaterThan(0);
    await shot('console-logs');
  });

  it('runs echo in the interactive shell', async () => {
    await page.getByTestId('shell-tab').click();
    await expect.poll(() => page.getByTestId('shell-status').textContent(), { timeout: 60_000 }).toMatch(/Connected/);
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo krint-$((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 30_000 }).toMatch(/krint-42/);
    await shot('console-shell');
  });

  it('adds a node, sees it come online with the shown token, and provisions onto it', async () => {
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Nodes', exact: true }).click();
    await page.getByText('No nodes yet').waitFor();
    await page.getByRole('button', { name: '+ Add node' }).click();
    await page.getByLabel('Name').fill(`${PREFIX}-edge`);
    await page.locator('.dialog footer').getByRole('button', { name: 'Add node' }).click();
    const token = (await page.getByTestId('node-token').textContent())?.trim() ?? '';
    expect(token.length).toBeGreaterThan(16);
    await shot('nodes-add');
    await page.locator('.dialog footer').getByRole('button', { name: 'Done' }).click();
    nodeProcess = await startNode(plane.url, token, `${PREFIX}-edge`);
    const row = page.locator('tr', { hasText: `${PREFIX}-edge` });
    await expect.poll(() => row.locator('[data-state]').first().getAttribute('data-state').catch(() => null), { timeout: 90_000, interval: 1000 }).toBe('online');
    await row.getByRole('button', { name: 'Ping' }).click();
    await row.getByText(/\d+(\.\d+)? ms/).waitFor();
    await shot('nodes');

    // The wizard offers the online node as a target.
    await page.getByRole('link', { name: '+ New instance' }).first().click();
    await page.locator('[data-engine="postgres"]').click();
    await page.getByRole('radio', { name: /^15/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('instance-name').fill(`${PREFIX}-onnode`);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Target').selectOption({ label: `${PREFIX}-edge` });
    await shot('create-on-node');
    await page.getByTestId('launch').click();
    await page.getByTestId('credentials').waitFor({ timeout: 180_000 });
    await page.getByTestId('open-instance').click();
    await page.getByTestId('instance-title').filter({ hasText: `${PREFIX}-onnode` }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    extraInstances.push(id);
    const nodes = await gql<{ data: { nodes: { id: string; name: string }[]; instance: { nodeId: string | null } } }>('query($id: ID!) { nodes { id name } instance(id: $id) { ... on Instance { nodeId } } }', { id });
    expect(nodes.data.instance.nodeId).toBe(nodes.data.nodes.find((n) => n.name === `${PREFIX}-edge`)?.id);
  });

  it('shows the other pages with live data and no console errors', async () => {
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await expect.poll(() => page.locator('[data-stat="Running"] strong').textContent(), { timeout: 30_000 }).toMatch(/^[3-9]$/);
    await page.waitForTimeout(7000); // a few live snapshots for the charts
    await shot('dashboard');
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Instances', exact: true }).click();
    await page.locator(`[data-instance="${INSTANCE}"] [data-state="running"]`).waitFor();
    await shot('instances');
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Activity', exact: true }).click();
    await page.getByRole('cell', { name: /instance/ }).first().waitFor();
    await shot('activity');
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByText('PostgreSQL').first().waitFor();
    await shot('settings');
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Backups', exact: true }).click();
    await page.locator('[data-backup]').first().waitFor();
    await page.setViewportSize({ width: 420, height: 860 });
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Instances', exact: true }).click().catch(async () => page.goto(`${plane.url}/instances`));
    await page.locator(`[data-instance="${INSTANCE}"]`).waitFor();
    await shot('instances-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(problems).toEqual([]);
  });

  it('forgets a node that is gone, warning before and after that its instance\'s container stays on that host', async () => {
    await nodeProcess?.stop();
    nodeProcess = null;
    await page.locator('nav[aria-label=Main]').getByRole('link', { name: 'Nodes', exact: true }).click();
    const row = page.locator('tr', { hasText: `${PREFIX}-edge` });
    await expect.poll(() => row.locator('[data-state]').first().getAttribute('data-state').catch(() => null), { timeout: 30_000, interval: 1000 }).toBe('offline');
    await row.getByRole('button', { name: 'Forget' }).click();
    await page.getByText(/are NOT removed/).waitFor();
    await page.getByText(new RegExp(`${PREFIX}-onnode — container krint-${PREFIX}-onnode-\\w+ stays on the host`)).waitFor();
    await page.getByTestId('confirm-text').fill(`${PREFIX}-edge`);
    await page.getByTestId('confirm-ok').click();
    const warning = page.getByTestId('forget-warning');
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(new RegExp(`container krint-${PREFIX}-onnode-\\w+`));
    await page.getByRole('button', { name: 'Understood' }).click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
  });
});
