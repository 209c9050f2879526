// Flags in the real `cutover up`: cutover.yaml's flags are applied, the client token is in the state dir, a change
// made with the CLI survives kill -9 of the controller and a restart with the same file, OFREP answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../helpers/engine.ts';

let engine: Engine;
before(async () => {
  engine = await Engine.start({
    service: '    replicas: 1',
    extra: 'flags:\n  kill-switch: { enabled: true }\n  beta:\n    enabled: true\n    strategies: [{ name: flexibleRollout, parameters: { rollout: 10 } }]\n',
  });
});
after(async () => engine?.destroy());

async function ofrep(flag: string, token: string, context: Record<string, unknown>) {
  const res = await fetch(`http://127.0.0.1:${engine.apiPort}/ofrep/v1/evaluate/flags/${flag}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context }),
  });
  return { status: res.status, body: (await res.json()) as { value?: boolean; errorCode?: string } };
}

test('cutover.yaml flags are served; CLI changes survive kill -9 and a restart with the same file', async () => {
  const list = JSON.parse((await engine.cli('flags', 'list', '--json')).stdout) as { flags: Array<{ name: string; enabled: boolean; managedBy?: string }> };
  assert.deepEqual(list.flags.map((f) => [f.name, f.enabled, f.managedBy]), [['beta', true, 'cutover.yaml'], ['kill-switch', true, 'cutover.yaml']]);
  const token = (await engine.cli('flags', 'token')).stdout.trim();
  assert.equal(token, readFileSync(join(engine.dir, '.cutover', 'client-token'), 'utf8').trim());
  assert.equal((await ofrep('kill-switch', token, { targetingKey: 'u' })).body.value, true);

  const off = await engine.cli('flags', 'disable', 'kill-switch', '--reason', 'incident');
  assert.equal(off.code, 0, off.stderr);
  await engine.killController();
  await engine.up();
  assert.equal((await ofrep('kill-switch', token, { targetingKey: 'u' })).body.value, false, 'the same file does not undo the CLI change');
  const events = (await engine.cli('flags', 'events', 'kill-switch')).stdout;
  assert.match(events, /kill-switch  created by config \(cutover\.yaml\)/);
  assert.match(events, /kill-switch  updated by admin \(incident\)/);

  // Editing the flag in the file applies it at the next start.
  writeFileSync(engine.config, readFileSync(engine.config, 'utf8').replace('kill-switch: { enabled: true }', 'kill-switch: { enabled: true, description: reviewed }'));
  await engine.stopController('SIGTERM');
  await engine.up();
  assert.equal((await ofrep('kill-switch', token, { targetingKey: 'u' })).body.value, true);
  assert.equal((await ofrep('nope', token, {})).body.errorCode, 'FLAG_NOT_FOUND');
});
