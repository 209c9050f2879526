import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy } from '../../src/proxy/proxy.ts';
import { loadStaticConfig } from '../../src/proxy/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { startUpstream, get, oneService } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

describe('health checks, passive ejection, static config and CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-proxy-cfg-'));
  const cleanups = cleanupsAfter(after);
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('active checks eject a failing instance and re-admit it when checks pass again', async () => {
    let sick = false;
    const a = await startUpstream('a', (req, res) => {
      req.resume();
      res.statusCode = req.url === '/health' && sick ? 500 : 200;
      res.end('a');
    });
    const b = await startUpstream('b');
    cleanups.push(() => a.close(), () => b.close());
    const proxy = createProxy();
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [a.port, b.port] }], {
      healthCheck: { path: '/health', intervalMs: 50, timeoutMs: 500, healthyThreshold: 2, unhealthyThreshold: 2 },
    }));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    const healthy = (): boolean => proxy.stats()[0]!.revisions.v1!.instances['v1-0']!.healthy;
    sick = true;
    await waitFor(() => !healthy(), 'ejection');
    for (let i = 0; i < 20; i++) assert.equal((await get(`${base}/`)).body, 'b');
    sick = false;
    await waitFor(healthy, 're-admission');
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) bodies.add((await get(`${base}/`)).body);
    assert.ok(bodies.has('a'));
  });

  test('N consecutive 5xx eject an instance passively, but never the last one of a revision', async () => {
    const bad = await startUpstream('bad', (req, res) => {
      req.resume();
      res.statusCode = 503;
      res.end('bad');
    });
    const good = await startUpstream('good');
    cleanups.push(() => bad.close(), () => good.close());
    const proxy = createProxy({ eject5xx: 3, ejectionMs: 60_000 });
    cleanups.push(() => proxy.close());
    await proxy.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [bad.port, good.port] }]));
    const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
    for (let i = 0; i < 12; i++) await get(`${base}/`);
    assert.equal(proxy.stats()[0]!.revisions.v1!.instances['v1-0']!.healthy, false);
    for (let i = 0; i < 10; i++) assert.equal((await get(`${base}/`)).body, 'good');

    await proxy.apply(oneService([{ name: 'v2', weightBp: 10000, ports: [bad.port] }]));
    for (let i = 0; i < 6; i++) assert.equal((await get(`${base}/`)).status, 503, 'the answer of the app, not an ejection 503');
  });

  test('static YAML config: valid file loads, bad one names field, value and hint', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, [
      'listeners:', '  - port: 8080', '    services: [web]',
      'services:', '  - name: web', '    revisions:', '      - name: v1', '        weightBp: 10000', '        instances:', '          - { id: a, host: 127.0.0.1, port: 3000 }',
      'limits:', '  queueTimeout: 2s', '  maxBodyBytes: 1024',
    ].join('\n'));
    const c = loadStaticConfig(good);
    assert.equal(c.options.queueTimeoutMs, 2000);
    assert.equal(c.options.maxBodyBytes, 1024);
    assert.equal(c.state.services[0]!.revisions[0]!.instances[0]!.port, 3000);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(good, 'utf8').replace('weightBp: 10000', 'weightBp: lots').replace('services: [web]', 'services: [nope]'));
    assert.throws(() => loadStaticConfig(bad), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = e.issues.map((i) => i.path);
      assert.ok(paths.includes('services.0.revisions.0.weightBp'), paths.join());
      const w = e.issues.find((i) => i.path === 'services.0.revisions.0.weightBp')!;
      assert.equal(w.value, 'lots');
      assert.equal(w.hint, 'expected number');
      return true;
    });
  });

  test('`cutover proxy --config` serves the static table and drains on SIGTERM', async () => {
    const up = await startUpstream('cli');
    cleanups.push(() => up.close());
    const cfg = join(dir, 'cli.yaml');
    writeFileSync(cfg, `listeners:\n  - { port: 0, host: 127.0.0.1, services: [web] }\nservices:\n  - name: web\n    revisions:\n      - { name: v1, weightBp: 10000, instances: [{ id: a, host: 127.0.0.1, port: ${up.port} }] }\n`);
    const stateFile = join(dir, 'cli.state.json');
    const script = `import { Command } from 'commander'; import { registerProxyCommand } from './src/cli/commands/proxy.ts';
      const p = new Command('cutover'); registerProxyCommand(p); await p.parseAsync(process.argv);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'cutover', 'proxy', '--config', cfg, '--admin-port', '0', '--token-file', join(dir, 'cli.token'), '--state-file', stateFile], {
      cwd: process.cwd(),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CUTOVER_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    cleanups.push(() => void child.kill('SIGKILL'));
    const port = await waitFor(() => /"port":(\d+),"tls"/.exec(stderr)?.[1], 'the listener log line', 20_000);
    await waitFor(() => { try { return JSON.parse(readFileSync(stateFile, 'utf8')).adminUrl; } catch { return undefined; } }, 'state file', 20_000);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'cli');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test('workers: 2 runs cluster workers on the shared port, refuses an admin port, and stops on SIGTERM', async () => {
    const up = await startUpstream('clustered');
    cleanups.push(() => up.close());
    const probe = createProxy();
    await probe.apply(oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]));
    const port = probe.addresses()[0]!.port; // a free port for the cluster to bind
    await probe.close();
    const cfg = join(dir, 'cluster.yaml');
    writeFileSync(cfg, `workers: 2\nlisteners:\n  - { port: ${port}, host: 127.0.0.1, services: [web] }\nservices:\n  - name: web\n    revisions:\n      - { name: v1, weightBp: 10000, instances: [{ id: a, host: 127.0.0.1, port: ${up.port} }] }\n`);
    const run = (opts: object) => spawn(process.execPath, ['--import', 'tsx', 'src/proxy/main.ts', JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const refused = run({ configFile: cfg, adminPort: 0, tokenFile: join(dir, 'c.token') });
    let err = '';
    refused.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    assert.equal(await new Promise((r) => refused.once('exit', r)), 1);
    assert.match(err, /workers > 1 cannot be combined with the admin API/);
    const child = run({ configFile: cfg });
    cleanups.push(() => void child.kill('SIGKILL'));
    await waitFor(async () => (await get(`http://127.0.0.1:${port}/`).catch(() => undefined))?.body === 'clustered', 'cluster workers serving', 20_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
