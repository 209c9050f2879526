// InstanceEffects on a real runtime: the start backoff after a failed start is
// per revision, so a canary that cannot start does not hold back instances of
// the stable revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { createProxy } from '../../src/proxy/proxy.ts';
import { InstanceEffects } from '../../src/rollout/instance-effects.ts';
import type { Revision } from '../../src/rollout/types.ts';
import { InstanceManager } from '../../src/runtime/instance-manager.ts';
import { LocalProvider } from '../../src/runtime/local/local-provider.ts';
import { silentLogger } from '../../src/shared/log.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { serverCommand } from '../helpers/apps/paths.ts';

test('a failed start of one revision does not block starting another', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-effects-'));
  const proxy = createProxy({ listenerDrainMs: 100 });
  const runtime = new InstanceManager({ provider: new LocalProvider({ stateDir: dir }) });
  const store = new MemoryStore();
  try {
    const cfg = parseConfig({ stateDir: dir, services: { web: { listen: 1, run: serverCommand() } } }).services.web!;
    const rev = (number: number, cwd: string): Revision => ({ service: 'web', number, version: `v${number}`, command: serverCommand(), cwd, env: {}, strategy: 'rolling', configHash: String(number), createdAt: 0 });
    const effects = new InstanceEffects('web', { store, runtime, router: proxy, logger: silentLogger, onDone: () => {}, drain: undefined });
    await effects.start(rev(2, join(dir, 'missing')), 1, cfg, {});
    await effects.start(rev(1, dir), 1, cfg, {});
    assert.deepEqual(runtime.list({ service: 'web' }).map((i) => i.record.revision), [1], 'stable started right after the canary failed');
    assert.deepEqual(store.listEvents({ service: 'web' }).map((e) => [e.type, e.revision]), [['InstanceStartFailed', 2], ['InstanceStarted', 1]]);
  } finally {
    await Promise.all(runtime.list().map((i) => runtime.stop(i.id, { signal: 'SIGKILL', killAfterMs: 500 })));
    await runtime.close();
    await proxy.close(100);
    rmSync(dir, { recursive: true, force: true });
  }
});
