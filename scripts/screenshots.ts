// Takes the dashboard screenshots in docs/images/ (overview and service page, laptop and phone widths) against a
// real `cutover up` with traffic flowing and a canary in progress, and prints the page's first paint.
// Run: npm run screenshots (builds first). Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDashboardBuilt, launchBrowser } from '../test/helpers/browser.ts';
import { Engine, ROOT } from '../test/helpers/engine.ts';

const service = `    version: v1
    replicas: 2
    readiness: { path: /healthz, interval: 200ms, timeout: 1s }
    shutdown: { drainTimeout: 1s, killAfter: 1s }
    strategy:
      canary:
        steps:
          - setWeight: 20
          - pause: { duration: 10m }
          - setWeight: 50
          - pause: {}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) process.exit(1);
ensureDashboardBuilt(ROOT);
const engine = await Engine.start({ service });
const browser = await launchBrowser();
let loading = true;
try {
  await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 healthy');
  // Steady traffic, a few slow requests, so the charts have something to show.
  const load = (async () => {
    while (loading) {
      const slow = Math.random() < 0.1 ? `/slow?ms=${Math.round(Math.random() * 80)}` : '/';
      await fetch(engine.url + slow).then((r) => r.text()).catch(() => {});
      await sleep(15);
    }
  })();
  await sleep(20_000);
  const deploy = await engine.cli('deploy', 'web', '--version', 'v2', '--env', 'ERROR_RATE=0.03');
  if (deploy.code !== 0) throw new Error(deploy.stderr);
  await engine.until(async () => (await engine.status()).phase === 'Paused', 'the canary paused');
  await sleep(25_000);

  const { page } = browser;
  const base = `http://127.0.0.1:${engine.apiPort}`;
  await page.goto(base + '/');
  // The paint entry may come after the load event goto waits for: observe it (buffered), for up to 5 s.
  const fcp = (await page.evaluate(
    `new Promise((resolve) => { new PerformanceObserver((list) => { const e = list.getEntriesByName('first-contentful-paint')[0]; if (e) resolve(e.startTime); }).observe({ type: 'paint', buffered: true }); setTimeout(() => resolve(-1), 5000); })`,
  )) as number;
  console.log(`first contentful paint: ${Math.round(fcp)} ms`);
  const token = readFileSync(join(engine.dir, '.cutover', 'token'), 'utf8').trim();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('li.card').waitFor();
  await sleep(1500);
  const shot = async (name: string) => {
    await page.screenshot({ path: join(ROOT, 'docs', 'images', name), fullPage: true });
    console.log(`docs/images/${name}`);
  };
  await shot('dashboard-overview.png');
  await page.goto(base + '/#/services/web');
  await page.locator('.chart .uplot').first().waitFor();
  await sleep(1500);
  await shot('dashboard-service.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(800);
  await shot('dashboard-service-phone.png');
  await page.goto(base + '/#/');
  await sleep(800);
  await shot('dashboard-overview-phone.png');
  loading = false;
  await load;
} finally {
  loading = false;
  await browser.close();
  await engine.destroy();
}
