// The web dashboard in a real browser (system Chromium through playwright-core) against a real `cutover up`:
// login, the live overview, actions, the viewer token, a controller restart, and axe-core's accessibility check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureDashboardBuilt, launchBrowser, seriousAxeViolations, type Browser } from '../helpers/browser.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';
import { Engine, ROOT } from '../helpers/engine.ts';

/** How long a rollout step may take to show on a loaded 2-core machine (instances start, pass readiness). */
const ROLLOUT_MS = 30_000;

const service = `    replicas: 1
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 1s, killAfter: 1s }
    strategy:
      canary:
        steps:
          - setWeight: 25
          - pause: {}`;

describe('dashboard', () => {
  const cleanups = cleanupsAfter(after);
  let engine: Engine;
  let browser: Browser;
  let page: Page;
  let base: string;
  const cspViolations: string[] = [];
  const token = (name: string) => readFileSync(join(engine.dir, '.cutover', name), 'utf8').trim();

  before(async () => {
    ensureDashboardBuilt(ROOT);
    engine = await Engine.start({ service });
    cleanups.push(() => engine.destroy());
    browser = await launchBrowser();
    cleanups.push(() => browser.close());
    page = browser.page;
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    base = `http://127.0.0.1:${engine.apiPort}`;
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'the first revision to be healthy');
  });

  const login = async (value: string) => {
    await page.goto(base + '/');
    await page.getByLabel('API token').fill(value);
    await page.getByRole('button', { name: 'Log in' }).click();
  };
  const card = () => page.locator('li.card[data-service="web"]');
  const act = async (label: string | RegExp) => {
    await page.getByRole('button', { name: label, exact: typeof label === 'string' }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: /^Confirm/ }).click();
  };

  test('a wrong token is refused; the right one opens a session held only in an HttpOnly SameSite=Strict cookie', async () => {
    await login('not-the-token');
    await page.getByRole('alert').filter({ hasText: 'missing or wrong bearer token' }).waitFor();
    assert.equal(await page.locator('li.card').count(), 0);
    assert.deepEqual(await browser.context.cookies(), []);

    await login(token('token'));
    await card().waitFor();
    const cookies = await browser.context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.sameSite, 'Strict');
    assert.ok(!page.url().includes(token('token')), 'no token in the URL');
    assert.equal(await card().locator('[data-phase]').textContent(), 'Healthy');
  });

  test('cutover instances lists what the instance table of the dashboard shows', async () => {
    const r = await engine.cli('instances', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^INSTANCE\s+REVISION\s+PID\s+PORT\s+STATE\s+RESTARTS\s+UPTIME\nweb-1-\S+\s+v1 \(#1\)\s+\d+\s+\d+\s+ready\s+0\s+\d+s$/m);
    const missing = await engine.cli('instances', 'nope');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /SERVICE_NOT_FOUND|not in the config/);
  });

  test('the overview has no serious or critical axe-core violations', async () => {
    await card().waitFor();
    assert.deepEqual(await seriousAxeViolations(page), []);
  });

  test('a canary deploy from the CLI shows its step and weight within 2 s', async () => {
    const deploy = await engine.cli('deploy', 'web', '--version', 'v2');
    assert.equal(deploy.code, 0, deploy.stderr);
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Paused' && s.weight === 25;
    }, 'the canary at 25% and paused');
    const shownBy = Date.now() + 2000;
    await card().locator('.step-text', { hasText: 'weight 25%' }).waitFor({ timeout: 2000 });
    assert.ok(Date.now() <= shownBy);
    assert.equal(await card().locator('[data-phase]').textContent(), 'Paused');
    assert.match((await card().locator('.step-text').textContent()) ?? '', /2\/2, weight 25%/);
  });

  test('Promote in the browser completes the rollout', async () => {
    await card().getByRole('link', { name: 'web' }).click();
    await page.locator('article[data-service="web"]').waitFor();
    await act('Promote');
    await page.getByRole('status').filter({ hasText: /Promote web: done/ }).waitFor();
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Healthy' && s.stableRevision?.version === 'v2';
    }, 'v2 stable');
    await page.locator('.split[data-split="2:100"]').first().waitFor({ timeout: 5000 });
  });

  test('the service page has no serious or critical axe-core violations, and nothing broke the CSP', async () => {
    await page.locator('.chart .uplot').first().waitFor();
    assert.deepEqual(await seriousAxeViolations(page), []);
    assert.deepEqual(cspViolations, [], 'the page runs under default-src self, styles included');
  });

  test('Abort in the browser returns all traffic to stable', async () => {
    assert.equal((await engine.cli('deploy', 'web', '--version', 'v3')).code, 0);
    await page.locator('[data-phase="Paused"]').waitFor({ timeout: ROLLOUT_MS });
    await act('Abort');
    await page.getByRole('status').filter({ hasText: /Abort web: done/ }).waitFor();
    await page.locator('.split[data-split="2:100"]').first().waitFor({ timeout: 5000 });
    const s = await engine.status();
    assert.equal(s.phase, 'Degraded');
    assert.equal(s.stableRevision?.version, 'v2');
    assert.equal(s.revisions.find((r) => r.role === 'stable')?.weight, 100);
  });

  test('Retry restarts the aborted rollout from its first step; Resume after Pause carries on', async () => {
    await act('Retry');
    await page.getByRole('status').filter({ hasText: /Retry web: done/ }).waitFor();
    await page.locator('.split[data-split="2:75,3:25"]').first().waitFor({ timeout: ROLLOUT_MS });
    await act('Pause');
    await page.getByRole('status').filter({ hasText: /Pause web: done/ }).waitFor();
    await act('Resume');
    await page.getByRole('status').filter({ hasText: /Resume web: done/ }).waitFor();
    await act('Abort');
    await page.locator('.split[data-split="2:100"]').first().waitFor({ timeout: 5000 });
    assert.equal((await engine.status()).phase, 'Degraded');
  });

  test('roll back to an older revision from the history', async () => {
    await page.locator('tr[data-revision="1"]').getByRole('button', { name: 'Roll back to this' }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent()) ?? '', /revision #1 \(v1/);
    await dialog.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: /Roll web back to v1: done/ }).waitFor();
    await engine.until(async () => (await engine.status()).canaryRevision?.number === 1, 'revision 1 rolling out');
    await act('Promote full');
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Healthy' && s.stableRevision?.number === 1;
    }, 'revision 1 stable again');
    await page.locator('.split[data-split="1:100"]').first().waitFor({ timeout: 5000 });
  });

  test('deploy a new version from the form, with env; a bad env line is refused before anything is sent', async () => {
    const form = page.getByRole('form', { name: 'Deploy a new version' });
    await form.getByLabel('Version label').fill('v5');
    await form.getByLabel(/^Env/).fill('GREETING');
    await form.getByRole('button', { name: 'Deploy…' }).click();
    await form.getByText('env line 1: write NAME=value').waitFor();
    assert.equal(await page.getByRole('dialog').isVisible(), false);
    await form.getByLabel(/^Env/).fill('GREETING=hi');
    await form.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent()) ?? '', /labelled v5 .*1 env value/);
    await dialog.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: /Deploy v5: done/ }).waitFor();
    const history = await engine.cli('history', 'web', '--json', '--show-secrets');
    const v5 = (JSON.parse(history.stdout) as Array<{ version: string; env: Record<string, string> }>).find((r) => r.version === 'v5');
    assert.equal(v5?.env.GREETING, 'hi');
    await page.locator('[data-phase="Paused"]').waitFor({ timeout: ROLLOUT_MS });
    await act('Promote full');
    await engine.until(async () => (await engine.status()).stableRevision?.version === 'v5', 'v5 stable');
  });

  test('the page survives a controller restart and says when its data is stale', async () => {
    await page.locator('[data-stale="false"]').waitFor();
    await engine.killController();
    await page.locator('[data-stale="true"]').waitFor({ timeout: 6000 });
    await engine.up();
    await page.locator('[data-stale="false"]').waitFor({ timeout: ROLLOUT_MS });
    assert.deepEqual(await seriousAxeViolations(page), [], 'the service page, with its history and events filled');
    // Same session (signed cookie), same page: an action still works.
    assert.equal(await page.getByLabel('API token').count(), 0);
    assert.equal((await engine.cli('deploy', 'web', '--version', 'v4')).code, 0);
    await page.locator('[data-phase="Paused"]').waitFor({ timeout: ROLLOUT_MS });

    // From the keyboard alone: Escape cancels a confirmation and gives focus back; Enter confirms.
    const abort = page.getByRole('button', { name: 'Abort', exact: true });
    await abort.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Abort', 'focus is back on Abort');
    assert.equal((await engine.status()).phase, 'Paused', 'a cancelled confirmation does nothing');
    await page.getByRole('button', { name: 'Promote full' }).focus();
    await page.keyboard.press('Enter');
    // The dialog opens after a render: wait for it (and its autofocused Confirm) before the second Enter.
    await page.getByRole('dialog').getByRole('button', { name: /^Confirm/ }).and(page.locator(':focus')).waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: /Promote full web: done/ }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.deepEqual(await browser.context.cookies(), [], 'logging out clears the cookie');
  });

  test('cutover dashboard prints a link that logs in once, then leaves no code in the URL', async () => {
    await browser.context.clearCookies();
    const r = await engine.cli('dashboard', '--json');
    assert.equal(r.code, 0, r.stderr);
    const { url, role } = JSON.parse(r.stdout) as { url: string; role: string };
    assert.equal(role, 'admin');
    assert.match(url, new RegExp(`^${base}/login\\?code=`));
    await page.goto(url);
    await card().waitFor();
    assert.equal(page.url(), base + '/');
    await browser.context.clearCookies();
    await page.goto(url);
    await page.getByRole('alert').filter({ hasText: 'expired or was already used' }).waitFor();
  });

  test('a viewer token sees everything but cannot act', async () => {
    await login(token('viewer-token'));
    await page.getByText('viewer (read-only)').waitFor();
    await page.goto(base + '/#/services/web');
    await page.locator('article[data-service="web"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Abort', exact: true }).isDisabled(), true);
    // Even a hand-made request with the session's CSRF token is refused.
    const answer = (await page.evaluate(`fetch('/api/v1/session').then((r) => r.json()).then((s) =>
      fetch('/api/v1/services/web/pause', { method: 'POST', headers: { 'x-cutover-csrf': s.csrf } }).then(async (r) => ({ status: r.status, body: await r.json() })))`)) as { status: number; body: { code: string } };
    assert.deepEqual([answer.status, answer.body.code], [403, 'FORBIDDEN']);
    assert.notEqual((await engine.status()).phase, 'Paused');

    // At a phone's width the page still has no serious accessibility problem.
    await page.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await seriousAxeViolations(page), []);
  });

  test('a session that ends on the server brings the page back to the login', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.locator('[data-stale="false"]').waitFor();
    // A rotated admin token voids every session: simulate it by restarting the controller with a new token file.
    await engine.killController();
    writeFileSync(join(engine.dir, '.cutover', 'token'), 'rotated-token-0123456789abcdef\n', { mode: 0o600 });
    await engine.up();
    await page.getByLabel('API token').waitFor({ timeout: 15_000 });
  });
});
