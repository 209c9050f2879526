// preDeploy and postDeploy hooks with the real controller, proxy and instances: a failing preDeploy refuses the
// deploy before anything changes (also on a timeout); postDeploy runs once the rollout completed, and says how it went.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness } from './helpers/harness.ts';

test('preDeploy refuses a deploy it fails (exit or timeout) with nothing changed; postDeploy runs after completion with the revision in its env', async () => {
  const h = new Harness({
    service: {
      replicas: 1,
      hooks: {
        preDeploy: { run: 'test "$CUTOVER_VERSION" != bad || { echo "refusing bad" >&2; exit 4; }; [ "$CUTOVER_VERSION" != slow ] || sleep 5', timeout: '300ms' },
        postDeploy: { run: 'echo "$CUTOVER_HOOK $CUTOVER_REVISION $CUTOVER_VERSION" >> "$HOOK_LOG"; [ "$CUTOVER_VERSION" != v3 ] || exit 3' },
      },
    },
  });
  // Hooks inherit the controller's environment (this test's process): the log goes in the harness's scratch dir.
  const log = join(h.dir, 'hooks.log');
  process.env.HOOK_LOG = log;
  await h.start();
  try {
    await h.until(() => h.status().phase === 'Healthy', 'v1 Healthy');
    await h.until(() => existsSync(log) && readFileSync(log, 'utf8').includes('postDeploy 1 v1'), 'postDeploy of the first revision');

    await assert.rejects(h.controller.deploy('web', { version: 'bad' }), (err: { code?: string; message?: string }) => err.code === 'DEPLOY_HOOK_FAILED' && /preDeploy exited 4; stderr: refusing bad/.test(err.message!));
    await assert.rejects(h.controller.deploy('web', { version: 'slow' }), (err: { code?: string; message?: string }) => err.code === 'DEPLOY_HOOK_FAILED' && /timed out after 300 ms/.test(err.message!));
    assert.deepEqual(h.controller.history('web').map((r) => r.version), ['v1'], 'no revision was created');
    assert.equal(h.status().phase, 'Healthy');

    await h.controller.deploy('web', { version: 'v2' });
    await h.until(() => h.status().stableRevision?.version === 'v2', 'v2 stable');
    await h.until(() => h.controller.events({ service: 'web' }).some((e) => e.type === 'PostDeploySucceeded' && e.revision === 2), 'postDeploy of v2 reported');
    await h.controller.deploy('web', { version: 'v3' });
    await h.until(() => h.controller.events({ service: 'web' }).some((e) => e.type === 'PostDeployFailed' && e.revision === 3), 'postDeploy of v3 reported failing');
    assert.equal(h.status().stableRevision?.version, 'v3', 'a failing postDeploy does not undo the rollout');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['postDeploy 1 v1', 'postDeploy 2 v2', 'postDeploy 3 v3']);
  } finally {
    await h.destroy();
  }
});
