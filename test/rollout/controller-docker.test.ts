// The controller with the docker runtime: the same guarantees as with processes (zero failed
// requests under load, adoption after a controller crash, crash loops fail the rollout),
// against a real dockerd (test/helpers/dockerd.ts) and images built on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverApp } from '../helpers/apps/paths.ts';
import { Harness } from './helpers/harness.ts';
import { getText, Load } from './helpers/load.ts';
import { startDocker, type TestDocker } from '../helpers/dockerd.ts';
import { APP_PORT, BASE_IMAGE, buildAppImage, buildTestImages } from '../helpers/docker-images.ts';
import { LABEL } from '../../src/runtime/docker/labels.ts';

let d: TestDocker;
let v1: string;
let v2: string;
let crashing: string;
before(async () => {
  d = await startDocker();
  v1 = await buildTestImages(d.docker);
  v2 = await buildAppImage(d.docker, 'cutover-test/app:2', { APP_BUILD: '2' });
  crashing = await buildAppImage(d.docker, 'cutover-test/crashing:1', { APP_NEVER_READY: '1', APP_CRASH_AFTER_MS: '100' });
});
after(async () => d?.stop());

function harness(service: Record<string, unknown>): Promise<Harness> {
  return new Harness({ docker: { host: d.host, ...(d.network ? { network: d.network } : {}), image: v1, port: APP_PORT }, service: { replicas: 2, ...service } }).start();
}

async function imageId(ref: string): Promise<string> {
  return (await d.docker.getImage(ref).inspect()).Id;
}

test('docker: a rolling deploy of a new image under load fails no request; the revision records the digest', async () => {
  const h = await harness({ strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } });
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 60_000);
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'v2', image: v2 });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 Healthy', 60_000);
    await h.until(() => h.runtime.list().length === 2, 'old containers gone');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
    assert.equal(await getText(h.url), 'v2');
    const [r1, r2] = h.controller.history('web');
    assert.deepEqual(r1?.container, { image: v1, digest: await imageId(v1), port: APP_PORT });
    assert.deepEqual(r2?.container, { image: v2, digest: await imageId(v2), port: APP_PORT });
    const running = await d.docker.listContainers({ filters: { label: [`${LABEL.service}=web`, `${LABEL.stateDir}=${h.dir}`] } });
    assert.equal(running.length, 2);
    for (const c of running) {
      assert.equal(c.Image, await imageId(v2), 'containers run the pinned image');
      assert.equal(c.Labels[LABEL.revision], '2');
    }
    for (const inst of h.runtime.list()) assert.match(readFileSync(inst.record.logFile, 'utf8'), /listening on 8080 version=v2/);
  } finally {
    await h.destroy();
  }
});

test('docker: a canary under load, the controller dropped at the pause (as by kill -9): the containers keep serving and are adopted', async () => {
  const h = await harness({ strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] } } });
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 60_000);
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'v2', image: v2 });
    await h.until(() => h.status().phase === 'Paused', 'paused at 50%', 60_000);
    const pids = h.pids();
    await h.restartController();
    assert.deepEqual(h.pids(), pids, 'the new runtime adopted the same containers');
    await h.until(() => h.status().revisions.length === 2 && h.status().revisions.every((r) => r.ready === r.desired), 'adopted containers ready');
    assert.equal(h.status().weight, 50);
    await h.controller.promote('web');
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'rollout completed after restart', 60_000);
    await h.until(() => h.pids(1).length === 0, 'v1 drained');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions).sort(), ['v1', 'v2']);
    assert.deepEqual(h.controller.events({ service: 'web' }).filter((e) => e.type === 'InstanceLost'), []);
  } finally {
    await h.destroy();
  }
});

test('docker: a crash-looping image fails its rollout and leaves stable serving', async () => {
  const h = await harness({ progressDeadlineSeconds: 60, strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } });
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 60_000);
    const stable = h.pids(1);
    const load = new Load(h.url);
    await h.controller.deploy('web', { version: 'bad', image: crashing });
    await h.until(() => h.status().phase === 'Degraded', 'rollout failed', 60_000);
    await h.until(() => h.pids(2).length === 0, 'bad containers removed');
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.versions), ['v1']);
    assert.deepEqual(h.pids(1), stable, 'stable containers untouched');
    const types = h.controller.events({ service: 'web' }).map((e) => e.type);
    assert.ok(types.includes('CrashLoop') && types.includes('RolloutAborted'), types.join(','));
  } finally {
    await h.destroy();
  }
});

test('docker: an image that cannot be pulled fails the deploy before anything changes', async () => {
  const h = await harness({});
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 60_000);
    const before = h.status();
    // A registry on a closed loopback port: the pull fails at once and nothing leaves this machine.
    await assert.rejects(h.controller.deploy('web', { version: 'v2', image: '127.0.0.1:9/cutover/missing:1' }), (err: { code?: string }) => err.code === 'IMAGE_PULL_FAILED');
    assert.deepEqual(h.controller.history('web').map((r) => r.version), ['v1'], 'no revision was created');
    // updatedAt may move with a later tick's bookkeeping; what users see must not.
    const seen = ({ updatedAt: _, ...rest }: ReturnType<typeof h.status>) => rest;
    assert.deepEqual(seen(h.status()), seen(before));
  } finally {
    await h.destroy();
  }
});

test('docker: `build:` builds on the Engine at the first start and at every deploy, pinned by id, without what .dockerignore excludes; a broken build fails the deploy first', async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'cutover-build-'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE_IMAGE}\nARG APP_BUILD=1\nENV APP_BUILD=$APP_BUILD APP_HOST=0.0.0.0\nCOPY . /app/\nCMD ["/app/server.mjs"]\n`);
  copyFileSync(serverApp, join(ctx, 'server.mjs'));
  writeFileSync(join(ctx, 'secret.env'), 'TOKEN=x\n');
  mkdirSync(join(ctx, 'node_modules', 'big'), { recursive: true });
  writeFileSync(join(ctx, 'node_modules', 'big', 'index.js'), '');
  writeFileSync(join(ctx, '.dockerignore'), '# not for the image\n*.env\nnode_modules\n');
  const h = await harness({ image: 'cutover-test/built', build: { context: ctx, args: { APP_BUILD: '7' } } });
  const has = async (image: string, path: string) => {
    const c = await d.docker.createContainer({ Image: image });
    try {
      return await c.getArchive({ path }).then(() => true, () => false);
    } finally {
      await c.remove({ force: true });
    }
  };
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 built and Healthy', 60_000);
    const [r1] = h.controller.history('web');
    assert.deepEqual(r1?.container, { image: 'cutover-test/built:v1', digest: await imageId('cutover-test/built:v1'), port: APP_PORT });
    const info = await d.docker.getImage('cutover-test/built:v1').inspect();
    assert.ok(info.Config.Env.includes('APP_BUILD=7'), 'build args reach the build');
    assert.equal(await has('cutover-test/built:v1', '/app/server.mjs'), true);
    assert.equal(await has('cutover-test/built:v1', '/app/secret.env'), false, '.dockerignore: *.env');
    assert.equal(await has('cutover-test/built:v1', '/app/node_modules'), false, '.dockerignore: node_modules');

    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 built and Healthy', 60_000);
    const r2 = h.controller.history('web')[1];
    assert.equal(r2?.container?.image, 'cutover-test/built:v2');
    assert.equal(r2?.container?.digest, await imageId('cutover-test/built:v2'));
    assert.equal(await getText(h.url), 'v2');

    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY missing.txt /app/\n`);
    await assert.rejects(h.controller.deploy('web', { version: 'v3' }), (err: { code?: string; message?: string }) => err.code === 'IMAGE_BUILD_FAILED' && /missing\.txt/.test(err.message ?? ''));
    assert.deepEqual(h.controller.history('web').map((r) => r.version), ['v1', 'v2'], 'no revision was created');
    assert.equal(h.status().stableRevision?.version, 'v2');
  } finally {
    await h.destroy();
    rmSync(ctx, { recursive: true, force: true });
  }
});

// The other strategies with containers: each deploy under load fails no request.
let item = 0;
// JSON answers equal but for the version and the time, which the shadow's comparison ignores (/ answers the version).
const items = { path: () => `/item?id=${item++}`, parse: (body: string) => ({ version: (JSON.parse(body) as { version: string }).version }), slow: 0 };
const strategies: Array<{ name: string; strategy: Record<string, unknown>; load?: typeof items; conclude?: (h: Harness) => Promise<void> }> = [
  { name: 'blueGreen', strategy: { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 1 } } },
  { name: 'shadow', strategy: { shadow: { duration: '2s', minCompared: 20, compare: { ignoreHeaders: ['x-version'], ignoreJsonPaths: ['$.at', '$.version'] } } }, load: items },
  {
    name: 'experiment',
    strategy: { experiment: { split: 50 } },
    conclude: async (h) => {
      await h.until(() => h.status().phase === 'Paused' && h.status().revisions.every((r) => r.ready === 2), 'experiment running', 60_000);
      await h.controller.promote('web', { variant: 'b' });
    },
  },
];
for (const s of strategies) {
  test(`docker: ${s.name}, a deploy of a new image under load fails no request`, async () => {
    const h = await harness({ strategy: s.strategy });
    try {
      await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy', 60_000);
      const load = new Load(h.url, s.load ?? {});
      await h.controller.deploy('web', { version: 'v2', image: v2 });
      await s.conclude?.(h);
      await h.until(() => h.status().phase === 'Healthy' && h.status().stableRevision?.version === 'v2', 'v2 Healthy', 60_000);
      await h.until(() => h.runtime.list().length === 2, 'old containers gone', 30_000);
      await load.stop();
      assert.deepEqual(load.failures, []);
      assert.ok((load.versions.v2 ?? 0) > 0, JSON.stringify(load.versions));
      assert.equal(await getText(h.url), 'v2');
    } finally {
      await h.destroy();
    }
  });
}
