// notifications.webhooks in cutover.yaml: defaults, and a clear error (path, value, fix) for each mistake.
import { test } from 'node:test';
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { resolveWebhooks } from '../../src/notify/webhook.ts';

const config = (hooks: string) => `services:\n  web: { listen: 18080, run: x }\nnotifications:\n  webhooks:\n${hooks}`;

function issues(text: string): { path: string; message: string }[] {
  try {
    parseConfigText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  assert.fail('expected a ConfigError');
}

test('a webhook gets the documented defaults; no notifications section means no hooks', () => {
  const [h] = parseConfigText(config('    - { name: ops, url: "https://hooks.example.com/x" }\n')).notifications.webhooks;
  assert.deepEqual(
    { ...h, events: h!.events.length },
    { name: 'ops', url: 'https://hooks.example.com/x', events: 14, format: 'json', timeout: 5000, maxAttempts: 10, backoff: { initial: 1000, max: 300_000 } },
  );
  assert.ok(h!.events.includes('RolloutAborted') && h!.events.includes('FlagUpdated') && h!.events.includes('HostUnreachable') && !h!.events.includes('InstanceReady'));
  assert.deepEqual(parseConfigText('services:\n  web: { listen: 18080, run: x }\n').notifications, { webhooks: [] });
});

test('each mistake names its field', () => {
  const only = (hooks: string) => {
    const found = issues(config(hooks));
    assert.equal(found.length, 1, JSON.stringify(found));
    return found[0]!;
  };
  const cases: [string, string, RegExp][] = [
    ['    - { name: a, url: "ftp://x.example" }\n', 'notifications.webhooks.0.url', /http:\/\/ or https:\/\//],
    ['    - { name: a, url: "https://x.example", events: [RolloutStarted, RolloutStarteed] }\n', 'notifications.webhooks.0.events.1', /"RolloutStarteed" matches no event type/],
    ['    - { name: a, url: "https://x.example", events: ["Nope*"] }\n', 'notifications.webhooks.0.events.0', /"Nope\*" matches no event type/],
    ['    - { name: a, url: "https://x.example", format: teams }\n', 'notifications.webhooks.0.format', /json|slack/],
    ['    - { name: a, url: "https://x.example", maxAttempts: 0 }\n', 'notifications.webhooks.0.maxAttempts', /1/],
    ['    - { name: a, url: "https://x.example", secret: s, secretEnv: S }\n', 'notifications.webhooks.0.secretEnv', /set one of secret, secretFile, secretEnv, not secret and secretEnv/],
    ['    - { name: a, url: "https://x.example" }\n    - { name: a, url: "https://y.example" }\n', 'notifications.webhooks.1.name', /used twice/],
    ['    - { name: a, url: "https://x.example", services: [wbe] }\n', 'notifications.webhooks.0.services.0', /no service "wbe" in this config \(services: web\)/],
  ];
  for (const [hooks, path, message] of cases) {
    const issue = only(hooks);
    assert.equal(issue.path, path, hooks);
    assert.match(issue.message, message, hooks);
  }
});

test('secrets come from the file or the environment; one that cannot be read stops with the field named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-secret-'));
  try {
    writeFileSync(join(dir, 'hook.secret'), 'from-file\n');
    chmodSync(join(dir, 'hook.secret'), 0o600);
    const cfg = parseConfigText(config('    - { name: f, url: "http://127.0.0.1:1/x", secretFile: hook.secret }\n    - { name: e, url: "http://127.0.0.1:1/x", secretEnv: HOOK_SECRET }\n    - { name: n, url: "http://127.0.0.1:1/x" }\n'));
    const [f, e, n] = resolveWebhooks(cfg.notifications, dir, { HOOK_SECRET: 'from-env' });
    assert.equal(f!.sign!('{}'), 'sha256=' + createHmacHex('from-file', '{}'));
    assert.equal(e!.sign!('{}'), 'sha256=' + createHmacHex('from-env', '{}'));
    assert.equal(n!.sign, null);
    assert.ok(!JSON.stringify([f, e, n]).includes('from-'), 'no hook object carries its secret');
    assert.throws(
      () => resolveWebhooks(parseConfigText(config('    - { name: e, url: "http://127.0.0.1:1/x", secretEnv: MISSING_SECRET }\n    - { name: f, url: "http://127.0.0.1:1/x", secretFile: nope }\n')).notifications, dir, {}),
      (err: ConfigError) =>
        err.code === 'CONFIG_INVALID' &&
        err.issues[0]!.path === 'notifications.webhooks.0.secretEnv' && /MISSING_SECRET is not set/.test(err.issues[0]!.message) &&
        err.issues[1]!.path === 'notifications.webhooks.1.secretFile' && /ENOENT/.test(err.issues[1]!.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function createHmacHex(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
