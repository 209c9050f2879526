import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { isKnownHostKey, knownKeys } from '../../src/runtime/docker/ssh-known-hosts.ts';

const KEY_A = randomBytes(51);
const KEY_B = randomBytes(51);
const b64 = (b: Buffer) => b.toString('base64');
const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${b64(salt)}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

test('known_hosts: plain, hashed and [host]:port names; patterns and negations; revoked keys', () => {
  const text = [
    '# comment',
    `10.0.1.10,web-1 ssh-ed25519 ${b64(KEY_A)}`,
    `${hashed('10.0.1.11')} ssh-ed25519 ${b64(KEY_B)}`,
    `[10.0.1.12]:2222 ssh-ed25519 ${b64(KEY_A)}`,
    `10.0.2.*,!10.0.2.9 ssh-ed25519 ${b64(KEY_B)}`,
    `@revoked 10.0.1.13 ssh-ed25519 ${b64(KEY_A)}`,
    `10.0.1.13 ssh-ed25519 ${b64(KEY_A)}`,
    `@cert-authority *.example.com ssh-ed25519 ${b64(KEY_B)}`,
    'garbage',
  ].join('\n');
  const rows: Array<[string, number, Buffer, boolean]> = [
    ['10.0.1.10', 22, KEY_A, true],
    ['web-1', 22, KEY_A, true],
    ['10.0.1.10', 22, KEY_B, false], // a changed key is refused
    ['10.0.1.10', 2222, KEY_A, false], // another port is another host
    ['10.0.1.11', 22, KEY_B, true], // hashed
    ['10.0.1.11', 22, KEY_A, false],
    ['10.0.1.12', 2222, KEY_A, true],
    ['10.0.1.12', 22, KEY_A, false],
    ['10.0.2.5', 22, KEY_B, true],
    ['10.0.2.9', 22, KEY_B, false], // negated
    ['10.0.1.13', 22, KEY_A, false], // revoked wins
    ['unknown', 22, KEY_A, false],
    ['a.example.com', 22, KEY_B, false], // CA lines are not host keys
  ];
  for (const [host, port, key, want] of rows) assert.equal(isKnownHostKey(text, host, port, key), want, `${host}:${port}`);
  assert.deepEqual(knownKeys(text, 'web-1', 22).map((k) => k.type), ['ssh-ed25519']);
});
