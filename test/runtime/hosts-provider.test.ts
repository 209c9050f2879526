// HostsProvider over two hosts (network namespaces, each with its own dockerd over TCP: test/helpers/docker-hosts.ts):
// the RuntimeProvider conformance, placement, and an Engine that goes away and comes back without its containers
// being taken for dead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerProvider } from '../../src/runtime/docker/docker-provider.ts';
import { HostsProvider } from '../../src/runtime/hosts/hosts-provider.ts';
import type { InstanceRecord, InstanceSpec } from '../../src/runtime/provider.ts';
import { startHosts, type TestHosts } from '../helpers/docker-hosts.ts';
import { APP_PORT, buildTestImages } from '../helpers/docker-images.ts';
import { waitFor } from '../helpers/wait.ts';
import { providerConformance } from './provider-conformance.ts';

const NETWORK = 'cutover-apps';
let h: TestHosts;
let image: string;
before(async () => {
  h = await startHosts(2);
  for (const host of h.hosts) {
    image = await buildTestImages(host.docker);
    await host.docker.createNetwork({ Name: NETWORK, Driver: 'bridge', IPAM: { Config: [{ Subnet: '172.31.251.0/24' }] } });
  }
});
after(async () => h?.stop());

function appSpec(env: Record<string, string> = {}, revision = 2): InstanceSpec {
  return { service: 'web', revision, version: `v${revision}`, command: '', cwd: tmpdir(), env, container: { image, port: APP_PORT } };
}

async function open(stateDir: string): Promise<HostsProvider> {
  const hosts = await Promise.all(
    h.hosts.map(async (x) => ({ name: x.name, address: x.address, provider: await DockerProvider.open({ stateDir, host: x.engine, hostIp: x.address, network: NETWORK, remote: true }) })),
  );
  return new HostsProvider(hosts);
}

providerConformance('docker hosts', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
  const provider = await open(stateDir);
  return {
    provider,
    appSpec,
    reopen: () => open(stateDir),
    cleanup: async () => {
      await provider.detach();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});

describe('HostsProvider', () => {
  const ready = { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 };

  test('spreads a revision evenly, keeps a restart on its host, and waits out an Engine that goes away', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
    const p = await open(stateDir);
    const exits: string[] = [];
    p.onExit((r) => exits.push(r.id));
    const started: InstanceRecord[] = [];
    try {
      for (let i = 0; i < 4; i++) started.push(await p.start(appSpec()));
      started.push(await p.start(appSpec({}, 3)));
      const on = (address: string, revision: number) => started.filter((r) => r.host === address && r.revision === revision).length;
      const [a, b] = h.hosts as [TestHosts['hosts'][0], TestHosts['hosts'][0]];
      assert.deepEqual([on(a.address, 2), on(b.address, 2)], [2, 2], 'revision 2: two on each host');
      assert.equal(on(a.address, 3) + on(b.address, 3), 1);
      for (const r of started) await waitFor(() => p.probe(r, ready), `${r.id} ready`, 30_000);

      // A restart in place (same id) stays on its host.
      const first = started[0]!;
      await p.stop(first, { signal: 'SIGTERM', killAfterMs: 2000 });
      const again = await p.start({ ...appSpec(), id: first.id });
      assert.equal(again.host, first.host);
      started[0] = again;

      // Host b's Engine stops (its containers run on: live-restore): no exit is reported, they keep answering.
      const onB = started.filter((r) => r.host === b.address);
      await b.stopDaemon();
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(exits.length, 0, `a lost Engine is not an exit: ${exits.join(', ')}`);
      for (const r of onB) {
        assert.ok(p.isAlive(r));
        assert.ok(await p.probe(r, ready), `${r.id} still serves`);
      }
      await b.startDaemon();
      // Back: the provider watches them again, so a real exit is reported once more.
      const victim = onB[0]!;
      await waitFor(async () => {
        await b.docker.getContainer(victim.procStart!).kill({ signal: 'SIGKILL' }).catch(() => {});
        return exits.includes(victim.id);
      }, 'the exit of a container on the host that came back', { timeoutMs: 20_000, everyMs: 500 });
      assert.ok(!p.isAlive(victim));
    } finally {
      await Promise.all(started.map((r) => p.stop(r, { signal: 'SIGKILL', killAfterMs: 1000 }).catch(() => {})));
      await p.detach();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
