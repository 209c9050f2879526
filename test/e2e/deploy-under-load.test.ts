// Issue 3's promise, end to end: a real `cutover up`, real instances, a real
// load (keep-alive clients plus 2-second requests), and a deploy with each
// strategy, and a rolling one over HTTPS. Zero failed requests, and every response from an expected version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { Engine, freePort } from '../helpers/engine.ts';
import { LoadGenerator, type LoadReport } from '../helpers/load.ts';

const base = `    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 5s, killAfter: 2s }
    progressDeadlineSeconds: 30`;

function assertClean(report: LoadReport, versions: string[]): void {
  assert.deepEqual(report.failures, [], `failed requests: ${report.failed}`);
  assert.equal(report.failed, 0);
  assert.ok(report.ok > 50, `too little load got through (${report.ok})`);
  assert.ok(report.slowOk > 0, 'no long request completed');
  for (const v of Object.keys(report.versions)) assert.ok(versions.includes(v), `unexpected version ${v}`);
}

async function healthy(engine: Engine, version: string): Promise<void> {
  await engine.until(async () => {
    const s = await engine.status();
    return s.phase === 'Healthy' && s.stableRevision?.version === version && s.canaryRevision === null;
  }, `${version} to be stable and Healthy`);
}

async function deployWait(engine: Engine, version: string, ...extra: string[]): Promise<void> {
  const r = await engine.cli('deploy', 'web', '--version', version, '--env', `APP_VERSION=${version}`, '--wait', ...extra);
  assert.equal(r.code, 0, `deploy ${version} --wait exited ${r.code}\n${r.stdout}\n${r.stderr}\n${engine.log.slice(-3000)}`);
}

test('rolling deploy under load: zero failed requests', async () => {
  const engine = await Engine.start({ service: `${base}\n    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }` });
  try {
    await healthy(engine, 'v1');
    const load = new LoadGenerator({ url: engine.url, clients: 4, slowClients: 1, slowMs: 2000, postClients: 1 });
    await deployWait(engine, 'v2');
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 500));
    const after = { ...load.report.versions };
    assertClean(await load.stop(), ['v1', 'v2']);
    assert.deepEqual(Object.keys(after), ['v2'], 'after the rollout only v2 answers');
    const logs = await engine.cli('logs', 'web', '--revision', '2');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^\[#2 web-2-/m, 'logs name the revision and instance of each line');
    assert.doesNotMatch(logs.stdout, /\[#1 /, '--revision filters');
  } finally {
    await engine.destroy();
  }
});

test('blue-green deploy then undo inside the scale-down window, under load', async () => {
  const engine = await Engine.start({
    service: `${base}\n    strategy: { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 30 } }`,
  });
  try {
    await healthy(engine, 'v1');
    const load = new LoadGenerator({ url: engine.url, clients: 4, slowClients: 1, slowMs: 2000, postClients: 1 });
    await deployWait(engine, 'v2');
    await healthy(engine, 'v2');
    const undo = await engine.cli('undo', 'web', '--wait');
    assert.equal(undo.code, 0, undo.stdout + undo.stderr);
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(Object.keys(load.report.versions), ['v1'], 'after undo only v1 answers');
    assertClean(await load.stop(), ['v1', 'v2']);
  } finally {
    await engine.destroy();
  }
});

test('canary deploy and abort under load: traffic returns to stable at once', async () => {
  const engine = await Engine.start({
    service: `${base}\n    strategy: { canary: { steps: [ { setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 1s } } ] } }`,
  });
  try {
    await healthy(engine, 'v1');
    const load = new LoadGenerator({ url: engine.url, clients: 4, slowClients: 1, slowMs: 2000, postClients: 1 });
    const started = await engine.cli('deploy', 'web', '--version', 'v2', '--env', 'APP_VERSION=v2');
    assert.equal(started.code, 0, started.stderr);
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Paused' && s.weight === 25 && s.canaryRevision?.version === 'v2';
    }, 'the canary to pause at 25%');
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok((load.report.versions.v2 ?? 0) > 0, 'the canary got traffic');
    assert.ok((load.report.versions.v1 ?? 0) > (load.report.versions.v2 ?? 0), 'stable got most of it');

    const abort = await engine.cli('abort', 'web');
    assert.equal(abort.code, 0, abort.stderr);
    const s = await engine.status();
    assert.equal(s.weight, 0, 'abort sends the weight to 0 at once');
    assert.equal(s.stableRevision?.version, 'v1');
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(Object.keys(load.report.versions), ['v1'], 'after abort only v1 answers');

    // Continue to a full rollout of v3 afterwards: abort left the service usable.
    await deployWait(engine, 'v3', '--strategy', 'rolling');
    assertClean(await load.stop(), ['v1', 'v2', 'v3']);
  } finally {
    await engine.destroy();
  }
});

test('rolling deploy under HTTPS load: zero failed requests; status shows the certificate; plain HTTP redirects', async () => {
  const redirect = await freePort();
  const engine = await Engine.start({
    certificate: true,
    service: `${base}\n    tls: { certFile: tls.crt, keyFile: tls.key, redirectHttp: ${redirect}, hsts: { maxAge: 1d } }\n    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }`,
  });
  try {
    await healthy(engine, 'v1');
    const load = new LoadGenerator({ url: engine.url, tls: { ca: engine.certificate! }, clients: 4, slowClients: 1, slowMs: 2000 });
    await deployWait(engine, 'v2');
    load.resetCounts();
    await new Promise((r) => setTimeout(r, 500));
    const after = { ...load.report.versions };
    assertClean(await load.stop(), ['v1', 'v2']);
    assert.deepEqual(Object.keys(after), ['v2'], 'after the rollout only v2 answers');

    const res = await request(`${engine.url}/`, { dispatcher: new Agent({ connect: { ca: engine.certificate! } }) });
    await res.body.dump();
    assert.equal(res.headers['strict-transport-security'], 'max-age=86400');

    const moved = await request(`http://127.0.0.1:${redirect}/a?b=1`, { headers: { host: 'localhost' } });
    await moved.body.dump();
    assert.equal(moved.statusCode, 308);
    assert.equal(moved.headers.location, `https://localhost:${engine.listen}/a?b=1`);

    const s = await engine.status();
    assert.equal(s.certificates?.length, 1, JSON.stringify(s));
    assert.deepEqual([s.certificates![0]!.subject, s.certificates![0]!.names, s.certificates![0]!.port], ['CN=localhost', ['localhost', '127.0.0.1'], engine.listen]);
    const text = await engine.cli('status', 'web');
    assert.match(text.stdout, new RegExp(`TLS: +port ${engine.listen} +CN=localhost +\\(localhost, 127\\.0\\.0\\.1\\) +expires \\d{4}-\\d\\d-\\d\\d \\(29 days left\\)`));
    const proxyLog = readFileSync(join(engine.dir, '.cutover', 'logs', 'proxy.log'), 'utf8');
    assert.doesNotMatch(proxyLog + engine.log, /PRIVATE KEY/, 'no key material in any log');
  } finally {
    await engine.destroy();
  }
});
