import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerProvider } from '../../src/runtime/docker/docker-provider.ts';
import type { InstanceSpec } from '../../src/runtime/provider.ts';
import { startDocker, type TestDocker } from '../helpers/dockerd.ts';
import { APP_PORT, buildTestImages } from '../helpers/docker-images.ts';
import { providerConformance } from './provider-conformance.ts';
import { LABEL } from '../../src/runtime/docker/labels.ts';
import { waitFor } from '../helpers/wait.ts';

let d: TestDocker;
let image: string;
before(async () => {
  d = await startDocker();
  image = await buildTestImages(d.docker);
});
after(async () => d?.stop());

function appSpec(env: Record<string, string> = {}): InstanceSpec {
  return { service: 'web', revision: 2, version: 'v2', command: '', cwd: tmpdir(), env, container: { image, port: APP_PORT } };
}

providerConformance('docker', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
  const open = () => DockerProvider.open({ stateDir, host: d.host, ...(d.network ? { network: d.network } : {}) });
  const provider = await open();
  return {
    provider,
    appSpec,
    reopen: open,
    cleanup: async () => {
      await provider.detach();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});

describe('DockerProvider', () => {
  test('a container carries the labels, limits and published port, sees only its own environment, and logs both streams to a 0600 file', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cutover-rt-'));
    const p = await DockerProvider.open({ stateDir, host: d.host, ...(d.network ? { network: d.network } : {}) });
    try {
      const spec = appSpec({ APP_SECRET_NAME: 'x' });
      const r = await p.start({ ...spec, container: { ...spec.container!, cpus: 0.5, memoryBytes: 64 * 1024 * 1024 } });
      await waitFor(() => p.probe(r, { path: '/healthz', intervalMs: 50, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 }), 'ready');
      const info = await d.docker.getContainer(r.procStart!).inspect();
      assert.deepEqual(
        { service: info.Config.Labels[LABEL.service], revision: info.Config.Labels[LABEL.revision], instance: info.Config.Labels[LABEL.instance], stateDir: info.Config.Labels[LABEL.stateDir] },
        { service: 'web', revision: '2', instance: r.id, stateDir },
      );
      assert.equal(info.HostConfig.NanoCpus, 5e8);
      assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
      assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
      assert.deepEqual(info.HostConfig.PortBindings?.[`${APP_PORT}/tcp`], [{ HostIp: '127.0.0.1', HostPort: String(r.port) }]);
      const env = new Set((info.Config.Env ?? []).map((e) => e.split('=')[0]));
      for (const name of ['PORT', 'CUTOVER_INSTANCE', 'APP_SECRET_NAME']) assert.ok(env.has(name), name);
      assert.ok(!env.has('NODE_TEST_CONTEXT') && !env.has('HOME'), "the controller's environment stays out");
      await fetch(`http://${r.host}:${r.port}/crash`).catch(() => {});
      await waitFor(() => !p.isAlive(r), 'exit seen');
      await waitFor(() => /crashing on request/.test(readFileSync(r.logFile, 'utf8')), 'stderr in the log');
      assert.match(readFileSync(r.logFile, 'utf8'), /listening on 8080/, 'stdout in the log');
      assert.equal(statSync(r.logFile).mode & 0o777, 0o600);
      await waitFor(async () => (await d.docker.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${r.id}`] } })).length === 0, 'crashed container removed');
    } finally {
      await p.detach();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('an unreachable daemon is DOCKER_UNAVAILABLE', async () => {
    await assert.rejects(DockerProvider.open({ stateDir: tmpdir(), host: 'unix:///nonexistent/docker.sock' }), (err: { code?: string }) => err.code === 'DOCKER_UNAVAILABLE');
  });
});
