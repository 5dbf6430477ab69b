// The console in a real browser (Debian's chromium through playwright-core) against `edgewatch start`:
// the example fault's incident, its timeline, the trace waterfall, commands by role, and a phone's width.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromium, scrollsSideways, signedIn } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { startEdgewatch, type StartedEdgewatch } from '../support/start-process.js';
import { eventually } from '../support/wait.js';

const NODE = 'edge-local';
/** Set to a directory (docs/img) to save the README's screenshots while the tests run. */
const SHOTS = process.env.EDGEWATCH_SCREENSHOTS;

interface ApiNode {
  node: string;
  tasks: Array<{ name: string; restarts: number; state: string }>;
}

describe('the console in chromium against edgewatch start', () => {
  const { skip } = requireChromium();
  const tmp = tempDir('edgewatch-console-');
  let run: StartedEdgewatch | undefined;
  let browser: Browser | undefined;
  const tokens = { admin: '', operator: '', viewer: '' };
  let incidentPath = '';
  let tracePath = '';

  const token = (name: string, role: string) => {
    const out = join(tmp.dir, `${name}.token`);
    const r = runCli(['token', 'create', '--data-dir', join(tmp.dir, 'data'), '--name', name, '--role', role, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(out, 'utf8').trim();
  };
  const restartsOfApi = async () => {
    const { nodes } = (await (await run!.apiFetch('/api/nodes')).json()) as { nodes: ApiNode[] };
    return nodes.find((n) => n.node === NODE)?.tasks.find((t) => t.name === 'api')?.restarts ?? -1;
  };
  const shot = async (page: Page, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    const { width, height } = page.viewportSize()!;
    const used = (await page.evaluate('document.documentElement.scrollHeight')) as number;
    await page.screenshot({ path: join(SHOTS, name), clip: { x: 0, y: 0, width, height: Math.min(used, height) } });
  };

  before(async () => {
    if (skip) return;
    run = await startEdgewatch(tmp.dir);
    tokens.admin = readFileSync(run.tokenFile('admin'), 'utf8').trim();
    tokens.operator = token('oncall', 'operator');
    tokens.viewer = token('wallboard', 'viewer');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await run?.stop();
    tmp.cleanup();
  });

  it('signs in, and the fault incident appears in the list with what was done', { skip }, async () => {
    const { context, page, requests } = await signedIn(browser!, run!.api, tokens.admin);
    try {
      const link = await eventually(
        'the consecutive-5xx incident in the list',
        async () => {
          await page.goto('/incidents');
          const row = page.locator('table.incidents tbody tr', { hasText: 'consecutive-5xx' }).filter({ hasText: 'restart' });
          return (await row.count()) > 0 && row.first();
        },
        { timeoutMs: 75_000, intervalMs: 2000 },
      );
      assert.match(await link.innerText(), /api\s+on\s+edge-local/);
      assert.match(await link.innerText(), /critical/);
      incidentPath = (await link.locator('a[href^="/incidents/"]').getAttribute('href'))!;
      await shot(page, 'console-incidents.png');
      assert.deepEqual(requests.filter((u) => !u.startsWith(run!.api)), [], 'nothing is loaded from outside the collector');
    } finally {
      await context.close();
    }
  });

  it("the incident page shows the restart, its acks and its verification, and links the trace", { skip }, async () => {
    assert.ok(incidentPath, 'the incident was found');
    const { context, page } = await signedIn(browser!, run!.api, tokens.admin, { path: incidentPath });
    try {
      await eventually(
        'the verification of the restart on the timeline',
        async () => {
          await page.goto(incidentPath);
          const text = await page.locator('ol.timeline').innerText();
          return /restart sent to api on edge-local/.test(text) && /acked restart done/.test(text) && /restart (held|did not hold)/.test(text) && text;
        },
        { timeoutMs: 60_000, intervalMs: 2000 },
      );
      assert.match(await page.locator('#why + p').innerText(), /6 lines in a row matched status >=500/);
      const title = await page.locator('time').first().getAttribute('title');
      assert.match(title ?? '', /^UTC: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, 'times show UTC on hover');
      await shot(page, 'console-incident.png');
      tracePath = (await page.locator('a', { hasText: 'Trace waterfall' }).getAttribute('href'))!;
      await Promise.all([page.waitForURL(/\/traces\//), page.click('text=Trace waterfall')]);
      assert.equal(new URL(page.url()).pathname, tracePath);
    } finally {
      await context.close();
    }
  });

  it('the trace waterfall holds the failing request, the rule firing, the command and the edge action; a row opens to its raw record', { skip }, async () => {
    const { context, page } = await signedIn(browser!, run!.api, tokens.admin, { path: tracePath });
    try {
      const failing = page.locator('ol.waterfall li.error', { hasText: '500' });
      assert.ok((await failing.count()) >= 1, 'the failing request');
      assert.ok((await page.locator('ol.waterfall li.rule', { hasText: 'consecutive-5xx' }).count()) === 1, 'the rule firing');
      assert.ok((await page.locator('ol.waterfall li.command', { hasText: 'restart' }).count()) >= 1, 'the command issued');
      const edge = page.locator('ol.waterfall li.edge-action', { hasText: 'command restart api done' });
      assert.equal(await edge.count(), 1, 'the edge action');
      await shot(page, 'console-trace.png');
      // keyboard: focus the failing request's row and open it with Enter
      await failing.first().locator('summary').focus();
      await page.keyboard.press('Enter');
      const raw = failing.first().locator('pre.raw');
      assert.ok(await raw.isVisible());
      // the row fills its record on the details' toggle event, which the browser fires after opening it
      await failing.first().locator('pre.raw', { hasText: '"status": 500' }).waitFor({ timeout: 5000 }).catch(() => undefined);
      assert.match(await raw.innerText(), /"status": 500/);
    } finally {
      await context.close();
    }
  });

  it("an operator's restart button restarts the task and shows the outcome; a viewer sees no button", { skip }, async () => {
    const viewer = await signedIn(browser!, run!.api, tokens.viewer, { path: '/nodes' });
    try {
      await viewer.page.locator('#node-edge-local').waitFor();
      assert.equal(await viewer.page.locator('button.command').count(), 0, 'no command buttons for a viewer');
      await viewer.page.goto(incidentPath);
      assert.equal(await viewer.page.locator('button.command').count(), 0);
    } finally {
      await viewer.context.close();
    }
    const op = await signedIn(browser!, run!.api, tokens.operator, { path: '/nodes' });
    try {
      const before = await restartsOfApi();
      const actions = op.page.locator('.actions[data-task="api"]');
      await actions.locator('button[data-command="restart"]').click();
      const dialog = op.page.locator('dialog[open]');
      assert.match(await dialog.innerText(), /Restart api on edge-local\?/);
      await dialog.locator('#confirm-ok').click();
      const status = actions.locator('output.command-status');
      const outcome = await eventually('the command outcome on the page', async () => (await status.getAttribute('data-status')) ?? false, { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(outcome, 'done', await status.innerText());
      assert.match(await status.innerText(), /restart done/);
      await eventually('the task restarted', async () => (await restartsOfApi()) > before, { timeoutMs: 15_000 });
      const audit = (await (await run!.apiFetch('/api/audit?action=command.restart')).json()) as { entries: Array<{ who: string; outcome: string }> };
      assert.ok(audit.entries.some((e) => e.who === 'oncall' && e.outcome === 'done'), 'audited as the operator');
    } finally {
      await op.context.close();
    }
  });

  it('at 360 px wide no page scrolls sideways; dark when the system is; times in the viewer zone with UTC on hover', { skip }, async () => {
    const { context, page, requests } = await signedIn(browser!, run!.api, tokens.operator, { viewport: { width: 360, height: 800 }, timezoneId: 'Asia/Kolkata', colorScheme: 'dark' });
    try {
      for (const path of ['/incidents', incidentPath, tracePath, '/nodes', `/nodes/${NODE}/tasks/api`]) {
        await page.goto(path);
        assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways at 360 px`);
      }
      await page.goto(incidentPath);
      assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(15, 18, 22)', 'dark');
      await page.emulateMedia({ colorScheme: 'light' });
      assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(247, 248, 250)', 'light');
      const started = page.locator('dd time').first();
      const utc = (await started.getAttribute('datetime'))!;
      const local = new Date(new Date(utc).getTime() + 5.5 * 3_600_000);
      const h12 = String(local.getUTCHours() % 12 || 12).padStart(2, '0');
      const h24 = String(local.getUTCHours()).padStart(2, '0');
      assert.match(await started.innerText(), new RegExp(`(${h12}|${h24}):${String(local.getUTCMinutes()).padStart(2, '0')}`), 'shown in the viewer zone (UTC+5:30)');
      assert.equal(await started.getAttribute('title'), `UTC: ${utc.replace('T', ' ').replace('Z', '')}`);
      await shot(page, 'console-incident-360.png');
      assert.deepEqual(requests.filter((u) => !u.startsWith(run!.api)), [], 'nothing is loaded from outside the collector');
    } finally {
      await context.close();
    }
  });

  it("a task's page tails its logs while open", { skip }, async () => {
    const { context, page } = await signedIn(browser!, run!.api, tokens.viewer, { path: `/nodes/${NODE}/tasks/loadgen` });
    try {
      const lines = page.locator('#tail li.log');
      const first = await lines.count();
      await eventually('new lines tailed into the page', async () => (await lines.count()) > first, { timeoutMs: 15_000, intervalMs: 500 });
      assert.match(await page.locator('[data-tail-state]').innerText(), /Live/);
    } finally {
      await context.close();
    }
  });
});
