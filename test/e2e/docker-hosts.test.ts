// `hosts:` as a user runs it: one `cutover up` here driving two hosts (network namespaces, each with its own dockerd,
// one reached over TCP and one over SSH: test/helpers/docker-hosts.ts). Cutover starts a proxy container on each host and spreads every
// revision over them; clients reach both hosts' proxies (as a load balancer in front would). A rolling deploy under
// load fails no request; a controller kill -9 adopts every host's containers; one host's Engine stopped mid-rollout
// holds the rollout with an event naming it, loses no request, and the rollout finishes once the Engine is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { Engine } from '../helpers/engine.ts';
import { Load } from '../rollout/helpers/load.ts';
import { startHosts, type TestHosts, type TestSshd } from '../helpers/docker-hosts.ts';
import { APP_PORT, BASE_IMAGE, buildAppImage, buildTestImages } from '../helpers/docker-images.ts';
import { LABEL } from '../../src/runtime/docker/labels.ts';

const NETWORK = 'cutover-apps';
let h: TestHosts;
let v1: string;
let ssh: TestSshd;
before(async () => {
  h = await startHosts(2);
  // Host b's Engine is reached over SSH (its key pinned in a known_hosts file), host a's over TCP.
  ssh = await h.hosts[1]!.sshd(mkdtempSync(join(tmpdir(), 'cutover-sshd-')));
  for (const host of h.hosts) {
    v1 = await buildTestImages(host.docker);
    await buildAppImage(host.docker, 'cutover-test/app:2', { APP_BUILD: '2' });
    await buildAppImage(host.docker, 'cutover-test/app:3', { APP_BUILD: '3' });
    await host.docker.createNetwork({ Name: NETWORK, Driver: 'bridge', IPAM: { Config: [{ Subnet: '172.31.250.0/24' }] } });
  }
});
after(async () => h?.stop());

/** Cutover's instance containers on each host, by revision label. */
async function placement(stateDir: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const host of h.hosts) {
    const list = await host.docker.listContainers({ filters: { label: [`${LABEL.stateDir}=${stateDir}`] } });
    out[host.name] = list.map((c) => c.Labels[LABEL.revision]!).sort();
  }
  return out;
}

/** `cutover up` with service `web` running v1's image on `hosts` (the YAML after `hosts:`), with `service` settings. */
function hostsEngine(service: string, hosts: string): Promise<Engine> {
  return Engine.start({
    run: null,
    service: `    image: ${v1}\n    port: ${APP_PORT}\n    readiness: { path: /healthz, interval: 100ms, timeout: 1s }\n${service}`,
    extra: `runtime: { docker: { network: ${NETWORK} } }\nproxy: { image: ${BASE_IMAGE} }\nhosts:${hosts}`,
  });
}

test('hosts: a proxy per host, a rolling deploy across two hosts under load, kill -9 adopts, a stopped Engine holds the rollout', async () => {
  const [a, b] = h.hosts as [TestHosts['hosts'][0], TestHosts['hosts'][0]];
  const engine = await hostsEngine(
    `    replicas: 2
    shutdown: { drainTimeout: 3s, killAfter: 2s }
    progressDeadlineSeconds: 120
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }`,
    `
  - ${a.engine}
  - { docker: '${ssh.engine}', name: ${b.name}, ssh: { keyFile: '${ssh.keyFile}', knownHosts: '${ssh.knownHosts}' } }`,
  );
  const stateDir = `${engine.dir}/.cutover`;
  const loads: Load[] = [];
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy on both hosts', 120_000);
    // replicas are per host: two on each.
    assert.deepEqual(await placement(stateDir), { [a.name]: ['1', '1'], [b.name]: ['1', '1'] });
    const st = await engine.status();
    assert.equal(st.revisions[0]!.desired, 4);
    // `cutover status` shows each host's instances; `cutover instances` each instance's host.
    const text = await engine.cli('status', 'web');
    for (const x of h.hosts) assert.match(text.stdout, new RegExp(`^${x.address.replace(/\./g, '\\.')}\\s+2/2 ready$`, 'm'), text.stdout);
    const listed = await engine.cli('instances', 'web');
    assert.equal(listed.stdout.split('\n').filter((l) => l.includes(` ${b.address} `)).length, 2, listed.stdout);
    // Each host's proxy admin API is HTTPS with the certificate Cutover made for it (0600 in the state dir) and pins.
    // (host a is listed by its Engine URL alone, so its name is its address)
    for (const [x, name] of [[a, a.address], [b, b.name]] as const) {
      const dir = join(stateDir, 'hosts', name);
      assert.equal(statSync(join(dir, 'admin-key.pem')).mode & 0o777, 0o600);
      const ca = readFileSync(join(dir, 'admin-cert.pem'), 'utf8');
      const plain = await request(`http://${x.address}:9400/healthz`).then((r) => r.statusCode, (err: Error) => err.message);
      assert.notEqual(plain, 200, 'no plain HTTP');
      const pinned = new Agent({ connect: { ca } });
      assert.equal((await request(`https://${x.address}:9400/healthz`, { dispatcher: pinned })).statusCode, 200);
      assert.equal((await request(`https://${x.address}:9400/routes`, { dispatcher: pinned })).statusCode, 401, 'the token is required');
      await pinned.close();
    }
    // Each host's proxy serves its own instances.
    const urls = h.hosts.map((x) => `http://${x.address}:${engine.listen}`);
    for (const url of urls) loads.push(new Load(url, { clients: 2 }));
    await engine.until(async () => loads.every((l) => (l.versions.v1 ?? 0) > 20), 'both hosts answer v1');

    const deployed = await engine.cli('deploy', 'web', '--version', 'v2', '--image', 'cutover-test/app:2', '--wait');
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr + engine.log.slice(-3000));
    await engine.until(async () => JSON.stringify(await placement(stateDir)) === JSON.stringify({ [a.name]: ['2', '2'], [b.name]: ['2', '2'] }), 'two v2 containers on each host, v1 gone', 30_000);

    // kill -9 of the controller: both hosts keep serving; a new controller adopts every container.
    await engine.killController();
    const before = await placement(stateDir);
    await new Promise((r) => setTimeout(r, 1000));
    await engine.up();
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'Healthy after the restart', 60_000);
    assert.deepEqual(await placement(stateDir), before, 'the same containers, adopted');

    // v3, and host b's Engine stops mid-rollout: the rollout holds and says which host; nothing fails.
    const started = await engine.cli('deploy', 'web', '--version', 'v3', '--image', 'cutover-test/app:3');
    assert.equal(started.code, 0, started.stderr);
    await b.stopDaemon();
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Paused';
    }, 'the rollout holds for the host', 30_000);
    const events = async () => (await engine.cli('events', 'web', '--json', '-n', '200')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; reason: string });
    const held = (await events()).find((e) => e.type === 'HostUnreachable');
    assert.ok(held && held.reason.includes(b.name), `a HostUnreachable event names ${b.name}: ${JSON.stringify(held)}`);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await engine.status()).phase, 'Paused', 'still holding while the host is away');
    await b.startDaemon();
    await engine.until(async () => {
      const s = await engine.status();
      return s.phase === 'Healthy' && s.stableRevision?.version === 'v3';
    }, 'v3 Healthy once the host is back', 120_000);
    assert.ok((await events()).some((e) => e.type === 'HostReachable'));
    await engine.until(async () => JSON.stringify(await placement(stateDir)) === JSON.stringify({ [a.name]: ['3', '3'], [b.name]: ['3', '3'] }), 'two v3 containers on each host', 30_000);
    await engine.until(async () => loads.every((l) => (l.versions.v3 ?? 0) > 20), 'both hosts answer v3');

    for (const l of loads) await l.stop();
    const failures = loads.flatMap((l, i) => l.failures.map((f) => `${h.hosts[i]!.name}: ${f}`));
    const log = (await events()).map((e) => `${e.type}: ${e.reason}`).join('\n');
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failed requests; events:\n${log}`);
    for (const l of loads) assert.deepEqual(Object.keys(l.versions).sort(), ['v1', 'v2', 'v3']);

    // `cutover down` drains and removes everything it started on every host: instances and the proxy.
    const down = await engine.cli('down');
    assert.equal(down.code, 0, down.stderr);
    for (const x of h.hosts) assert.deepEqual((await x.docker.listContainers({ all: true })).map((c) => c.Names[0]), [], `${x.name} is empty`);
  } finally {
    for (const l of loads) await l.stop().catch(() => {});
    await engine.destroy();
  }
});

test('hosts: a canary runs on every host and both hosts split traffic in step; an image one host lacks fails the deploy first', async () => {
  const [a, b] = h.hosts as [TestHosts['hosts'][0], TestHosts['hosts'][0]];
  // Only host a has this image (and no registry is reachable): the deploy must fail before anything moves.
  await buildAppImage(a.docker, 'cutover-test/app:only-a', { APP_BUILD: 'a' });
  const engine = await hostsEngine(
    `    replicas: 1
    shutdown: { drainTimeout: 2s, killAfter: 2s }
    strategy: { canary: { steps: [ { setWeight: 50 }, { pause: {} } ] } }`,
    ` [${a.engine}, ${b.engine}]`,
  );
  const stateDir = `${engine.dir}/.cutover`;
  const loads: Load[] = [];
  try {
    await engine.until(async () => (await engine.status()).phase === 'Healthy', 'v1 Healthy', 120_000);
    const missing = await engine.cli('deploy', 'web', '--version', 'vx', '--image', 'cutover-test/app:only-a');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /IMAGE_PULL_FAILED/);
    assert.match(missing.stderr, /cutover-test\/app:only-a/);
    const after = await engine.status();
    assert.equal(after.phase, 'Healthy');
    assert.equal(after.stableRevision?.version, 'v1');
    assert.equal(after.revisions.length, 1, 'no revision was created');

    for (const x of h.hosts) loads.push(new Load(`http://${x.address}:${engine.listen}`, { clients: 2 }));
    const deployed = await engine.cli('deploy', 'web', '--version', 'v2', '--image', 'cutover-test/app:2');
    assert.equal(deployed.code, 0, deployed.stderr);
    await engine.until(async () => (await engine.status()).phase === 'Paused', 'the canary pauses at 50 %', 60_000);
    // replicas 1 per host at 50 %: one canary instance would leave a host without one; there is one on each.
    assert.deepEqual(await placement(stateDir), { [a.name]: ['1', '2'], [b.name]: ['1', '2'] });
    const before = loads.map((l) => l.versions.v2 ?? 0);
    await engine.until(async () => loads.every((l, i) => (l.versions.v2 ?? 0) > before[i]! + 20 && (l.versions.v1 ?? 0) > 20), 'both hosts answer v1 and v2');
    const promoted = await engine.cli('promote', 'web', '--wait');
    assert.equal(promoted.code, 0, promoted.stderr);
    await engine.until(async () => JSON.stringify(await placement(stateDir)) === JSON.stringify({ [a.name]: ['2'], [b.name]: ['2'] }), 'one v2 on each host', 30_000);
    for (const l of loads) await l.stop();
    const failures = loads.flatMap((l) => l.failures);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failed requests`);
  } finally {
    for (const l of loads) await l.stop().catch(() => {});
    await engine.destroy();
  }
});
