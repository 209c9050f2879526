import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerProvider } from '../../src/runtime/docker/docker-provider.ts';
import type { InstanceSpec } from '../../src/runtime/provider.ts';
import { startDocker, type TestDocker } from '../helpers/dockerd.ts';
import { APP_PORT, buildTestImages } from '../helpers/docker-images.ts';
import { providerConformance } from './provider-conformance.ts';

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
