// `cutover up` with the docker runtime, as a user runs it: deploy --image from the CLI under load,
// kill -9 of the controller mid-rollout (containers keep serving and are adopted), `cutover logs`,
// the digest in `cutover history`, `cutover down` removing the containers. Real dockerd (test/helpers/dockerd.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../helpers/engine.ts';
import { Load } from '../rollout/helpers/load.ts';
import { startDocker, type TestDocker } from '../helpers/dockerd.ts';
import { APP_PORT, buildAppImage, buildTestImages } from '../helpers/docker-images.ts';
import { LABEL } from '../../src/runtime/docker/labels.ts';

let d: TestDocker;
let v1: string;
before(async () => {
  d = await startDocker();
  v1 = await buildTestImages(d.docker);
  await buildAppImage(d.docker, 'cutover-test/app:2', { APP_BUILD: '2' });
  await buildAppImage(d.docker, 'cutover-test/app:3', { APP_BUILD: '3' });
});
after(async () => d?.stop());

async function containers(stateDir: string, revision?: number): Promise<string[]> {
  const label = [`${LABEL.stateDir}=${stateDir}`, ...(revision ? [`${LABEL.revision}=${revision}`] : [])];
  return (await d.docker.listContainers({ filters: { label } })).map((c) => c.Id).sort();
}

test('docker engine: deploy --image under load, kill -9 of the controller mid-rollout, adopt, logs, history, down', async () => {
  const engine = await Engine.start({
    run: null,
    service: `    image: ${v1}
    port: ${APP_PORT}
    replicas: 2
    readiness: { path: /healthz, interval: 100ms, timeout: 1s }
    shutdown: { drainTimeout: 3s, killAfter: 2s }
    progressDeadlineSeconds: 60
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }`,
    extra: `runtime: { docker: { host: '${d.host}'${d.network ? `, network: ${d.network}` : ''} } }`,
  });
  const stateDir = `${engine.dir}/.cutover`;
  let load: Load | undefined;
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy', 60_000);
    load = new Load(engine.url);
    const deployed = await engine.cli('deploy', 'web', '--version', 'v2', '--image', 'cutover-test/app:2', '--wait');
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr + engine.log.slice(-3000));

    // v3, and kill -9 the controller once its first container is up: everything keeps serving.
    const started = await engine.cli('deploy', 'web', '--version', 'v3', '--image', 'cutover-test/app:3');
    assert.equal(started.code, 0, started.stderr);
    await engine.until(async () => (await containers(stateDir, 3)).length >= 1, 'a v3 container running', 60_000);
    await engine.killController();
    const v3Before = await containers(stateDir, 3);
    await new Promise((r) => setTimeout(r, 1000)); // load keeps flowing with no controller
    await engine.up();
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Healthy' && s.stableRevision?.version === 'v3';
    }, 'v3 Healthy after the restart', 60_000);
    const v3After = await containers(stateDir, 3);
    // Recorded containers were adopted; one started in the instant before the kill, never recorded, was removed.
    const events = await engine.cli('events', 'web', '--json', '-n', '500');
    const parsed = events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; revision?: number; reason: string });
    const types = parsed.map((e) => e.type);
    assert.ok(types.includes('RolloutCompleted'), types.join(','));
    // The stable set (v2) is adopted whole. A v3 container the kill caught between create and start cannot be
    // adopted (it never ran): it is replaced, which is the one loss allowed here.
    const lost = parsed.filter((e) => e.type === 'InstanceLost');
    assert.ok(lost.every((e) => e.revision === 3), `only a starting v3 container may be lost: ${lost.map((e) => e.reason).join('; ')}`);
    assert.ok(v3Before.some((id) => v3After.includes(id)) || v3Before.length === 0, 'v3 containers from before the kill were adopted');
    // v2's containers drain (drainTimeout 3s) after v3 takes the traffic; then exactly the replicas run, no strays.
    await engine.until(async () => (await containers(stateDir)).length === 2, 'v2 drained and removed, no stray containers', 20_000);
    assert.deepEqual(await containers(stateDir), await containers(stateDir, 3), 'the two that remain are v3');
    const report = load;
    await load.stop();
    load = undefined;
    assert.deepEqual(report.failures, []);
    assert.deepEqual(Object.keys(report.versions).sort(), ['v1', 'v2', 'v3']);

    const logs = await engine.cli('logs', 'web', '--revision', '3');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /listening on 8080 version=v3/);
    const history = await engine.cli('history', 'web', '--json');
    const revs = JSON.parse(history.stdout) as Array<{ version: string; container?: { image: string; digest: string } }>;
    assert.deepEqual(revs.map((r) => [r.version, r.container?.image]), [['v1', v1], ['v2', 'cutover-test/app:2'], ['v3', 'cutover-test/app:3']]);
    assert.equal(revs[2]!.container!.digest, (await d.docker.getImage('cutover-test/app:3').inspect()).Id);
  } finally {
    // A failed assertion must not leave the load running: the test process would never exit.
    await load?.stop();
    await engine.destroy();
  }
  assert.deepEqual(await containers(stateDir), [], '`cutover down` removed every container');
});
