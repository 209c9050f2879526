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

/** Two flags in cutover.yaml: one with a single percentage rollout, one whose strategies leave no rollout to set. */
const flagsYaml = `flags:
  new-checkout:
    enabled: false
    description: The new checkout page
    strategies: [{ name: flexibleRollout, parameters: { rollout: 10 } }]
  beta-banner:
    enabled: true
    strategies:
      - { name: userWithId, parameters: { userIds: "alice,bob" } }
      - { name: default, constraints: [{ contextName: country, operator: IN, values: [de, fr] }] }
`;

interface FlagDetail {
  flag: { enabled: boolean; strategies: Array<{ name: string; parameters?: Record<string, string> }> };
  events: Array<{ actor: string; type: string }>;
}

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
    engine = await Engine.start({ service, extra: flagsYaml });
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
  const flagCard = (name: string) => page.locator(`li.card[data-flag="${name}"]`);
  const flagDetail = async (name: string): Promise<FlagDetail> => {
    const r = await engine.cli('flags', 'get', name, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as FlagDetail;
  };
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
    assert.match(r.stdout, /^INSTANCE\s+REVISION\s+HOST\s+PID\s+PORT\s+STATE\s+RESTARTS\s+UPTIME\nweb-1-\S+\s+v1 \(#1\)\s+127\.0\.0\.1\s+\d+\s+\d+\s+ready\s+0\s+\d+s$/m);
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

  test('the flags page lists the flags of cutover.yaml: state, rollout, strategies in words', async () => {
    await login(token('token'));
    await card().waitFor();
    await page.getByRole('link', { name: 'Feature flags' }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('heading', { name: 'Feature flags' }).waitFor();
    const checkout = flagCard('new-checkout');
    await checkout.waitFor();
    assert.equal(await checkout.locator('.flag-state').textContent(), 'Off');
    assert.equal(await checkout.locator('[data-testid="rollout"]').textContent(), '10%');
    assert.match((await checkout.locator('.strategies').textContent()) ?? '', /10% of users/);
    assert.match((await checkout.textContent()) ?? '', /from cutover\.yaml.*The new checkout page/);
    const banner = flagCard('beta-banner');
    assert.equal(await banner.locator('.flag-state').textContent(), 'On');
    assert.equal(await banner.locator('[data-testid="rollout"]').textContent(), '—');
    const words = (await banner.locator('.strategies li').allTextContents()).join(' | ');
    assert.equal(words, 'users alice, bob | everyone; when country is one of de, fr');
    assert.deepEqual(await seriousAxeViolations(page), []);
  });

  test("Enable in the browser turns the flag on; its history names the session's actor; a CLI change shows live", async () => {
    const checkout = flagCard('new-checkout');
    await checkout.getByRole('button', { name: 'Enable', exact: true }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent()) ?? '', /Turn new-checkout on: its strategies decide who gets it \(10% of users\)/);
    await dialog.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: 'Enable new-checkout: done — new-checkout is on, for 10% of users.' }).waitFor();
    assert.equal((await flagDetail('new-checkout')).flag.enabled, true);
    await checkout.locator('.flag-state', { hasText: 'On' }).waitFor();

    await checkout.getByText('Change history').click();
    const rows = checkout.locator('.flag-history tbody tr');
    await rows.filter({ hasText: 'turned on' }).waitFor();
    assert.deepEqual(
      (await rows.allTextContents()).map((t) => t.replace(/^.*\d(admin|config)/, '$1')),
      ['adminturned on', 'configcreated, offcutover.yaml'],
      'newest first: who, what, why',
    );

    // A change made elsewhere (the CLI) reaches the page by the stream, without a reload.
    assert.equal((await engine.cli('flags', 'disable', 'new-checkout', '--reason', 'from the CLI')).code, 0);
    await checkout.locator('.flag-state', { hasText: 'Off' }).waitFor({ timeout: 3000 });
    await rows.filter({ hasText: 'from the CLI' }).waitFor({ timeout: 3000 });
  });

  test("a rollout percentage set in the browser changes the flag; an ambiguous one shows the API's error", async () => {
    const checkout = flagCard('new-checkout');
    const percent = checkout.getByLabel('Percentage of users');
    await percent.fill('150');
    await checkout.getByRole('button', { name: 'Set rollout…' }).click();
    await checkout.getByText('a percentage from 0 to 100').waitFor();
    assert.equal(await page.getByRole('dialog').isVisible(), false);

    await percent.fill('35');
    await checkout.getByRole('button', { name: 'Set rollout…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: 'new-checkout is on, for 35% of users.' }).waitFor();
    const detail = await flagDetail('new-checkout');
    assert.equal(detail.flag.enabled, true, 'a rollout turns the flag on');
    assert.deepEqual(detail.flag.strategies.map((s) => [s.name, s.parameters?.rollout]), [['flexibleRollout', '35']]);
    assert.equal(detail.events.at(-1)?.actor, 'admin', 'the newest change (the list is oldest first)');
    await checkout.locator('[data-testid="rollout"]', { hasText: '35%' }).waitFor();
    await checkout.locator('.flag-history tbody tr', { hasText: 'turned on, rollout 10% → 35%' }).locator('[data-actor="admin"]').waitFor();

    const banner = flagCard('beta-banner');
    assert.match((await banner.locator('.rollout-form').textContent()) ?? '', /no single percentage rollout/);
    await banner.getByLabel('Percentage of users').fill('50');
    await banner.getByRole('button', { name: 'Set rollout…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: /Set the rollout of beta-banner to 50% failed: cannot set the rollout of "beta-banner".*\[FLAG_ROLLOUT_AMBIGUOUS\]/ }).waitFor();
    assert.deepEqual((await flagDetail('beta-banner')).flag.strategies.map((s) => s.name), ['userWithId', 'default'], 'nothing changed');

    await banner.getByText('Change history').click();
    await banner.locator('.flag-history tbody tr').first().waitFor();
    assert.deepEqual(await seriousAxeViolations(page), [], 'the flags page with histories open and a result shown');
    assert.deepEqual(cspViolations, []);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
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

    // The flags too: every flag, no control that works, and the API refuses a change anyway.
    await page.goto(base + '/#/flags');
    const checkout = flagCard('new-checkout');
    await checkout.locator('.flag-state', { hasText: 'On' }).waitFor();
    assert.equal(await checkout.locator('[data-testid="rollout"]').textContent(), '35%');
    await page.getByText('Read-only session: you can see the flags, not change them.').waitFor();
    assert.equal(await checkout.getByRole('button', { name: 'Disable', exact: true }).isDisabled(), true);
    assert.equal(await checkout.getByRole('button', { name: 'Set rollout…' }).isDisabled(), true);
    assert.equal(await checkout.getByLabel('Percentage of users').isDisabled(), true);
    await checkout.getByText('Change history').click();
    await checkout.locator('.flag-history tbody tr', { hasText: 'rollout 10% → 35%' }).waitFor();
    const refused = (await page.evaluate(`fetch('/api/v1/session').then((r) => r.json()).then((s) =>
      fetch('/api/v1/flags/new-checkout/disable', { method: 'POST', headers: { 'x-cutover-csrf': s.csrf, 'content-type': 'application/json' }, body: '{}' }).then(async (r) => ({ status: r.status, body: await r.json() })))`)) as { status: number; body: { code: string } };
    assert.deepEqual([refused.status, refused.body.code], [403, 'FORBIDDEN']);
    assert.equal((await flagDetail('new-checkout')).flag.enabled, true);
    assert.deepEqual(await seriousAxeViolations(page), [], 'the flags page at a phone width');
    const tooWide = await page.evaluate(`[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).slice(0, 5).map((e) => e.tagName + '.' + e.className)`);
    assert.deepEqual(tooWide, [], 'nothing wider than the phone (tables scroll inside their box)');
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'no sideways scrolling of the page');
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
