// `cutover flags …` as a user runs it, against a control API with flags on a real port.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/engine.ts';
import { ADMIN, CLIENT, FlagApi } from '../flags/helpers.ts';

let api: FlagApi;
let cli: (args: string[], token?: string) => ReturnType<typeof runCli>;
before(async () => {
  api = await new FlagApi().start();
  cli = (args, token = ADMIN) => runCli(['flags', ...args, '--api', api.url, '--token', token]);
});
after(async () => api.destroy());

test('set -f, enable, rollout, disable, get, list, events', async () => {
  const file = join(api.dir, 'checkout.yaml');
  writeFileSync(file, 'enabled: false\ndescription: the new checkout\nvariants:\n  - name: blue\n  - name: green\n');
  const set = await cli(['set', 'checkout', '-f', file]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /checkout: disabled/);
  assert.match((await cli(['enable', 'checkout'])).stdout, /checkout: enabled; everyone/);
  const roll = await cli(['rollout', 'checkout', '25', '--reason', 'first users']);
  assert.match(roll.stdout, /flexibleRollout 25%/);
  assert.match((await cli(['disable', 'checkout'])).stdout, /checkout: disabled/);
  api.flags.recordMetrics({ bucket: { toggles: { checkout: { yes: 7, no: 3, variants: { blue: 4, green: 3 } } } } });
  const get = await cli(['get', 'checkout']);
  assert.match(get.stdout, /Reported: +yes 7, no 3; blue 4, green 3/);
  assert.match(get.stdout, /Variants: +blue 50%, green 50%/);
  assert.match(get.stdout, /updated by admin \(first users\)/);
  const json = JSON.parse((await cli(['get', 'checkout', '--json'])).stdout);
  assert.equal(json.flag.enabled, false);
  assert.equal(json.metrics.yes, 7);
  const list = await cli(['list']);
  assert.match(list.stdout, /checkout +off +flexibleRollout 25% +7 +3/);
  assert.equal(JSON.parse((await cli(['list', '--json'])).stdout).flags[0].name, 'checkout');
  assert.equal((await cli(['events', 'checkout'])).stdout.trim().split('\n').length, 4);
});

test('import [--replace] and export round-trip an Unleash features document', async () => {
  const file = join(api.dir, 'features.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 2,
      features: [{ name: 'imported', enabled: true, strategies: [{ name: 'default', segments: [1] }] }],
      segments: [{ id: 1, name: 'staff', constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }] }],
    }),
  );
  const imp = await cli(['import', file]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /2 created, 0 updated, 0 deleted/);
  const exported = JSON.parse((await cli(['export'])).stdout);
  assert.deepEqual(exported.features.map((f: { name: string }) => f.name).sort(), ['checkout', 'imported']);
  writeFileSync(file, JSON.stringify(exported));
  assert.match((await cli(['import', file])).stdout, /0 created, 0 updated, 0 deleted/, 'an export imports back unchanged');
  writeFileSync(file, JSON.stringify({ ...exported, features: exported.features.filter((f: { name: string }) => f.name === 'imported') }));
  assert.match((await cli(['import', '--replace', file])).stdout, /0 created, 0 updated, 1 deleted/);
});

test('bad input is refused with the path of the field, and nothing changes (exit 2)', async () => {
  const rev = api.flags.snapshot().revision;
  const file = join(api.dir, 'bad.yaml');
  writeFileSync(file, 'enabled: true\nstrategies:\n  - name: flexibleRollout\n    parameters: { rollout: 150 }\n');
  const bad = await cli(['set', 'x', '-f', file]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /strategies\.0\.parameters\.rollout: rollout must be between 0 and 100/);
  assert.equal((await cli(['rollout', 'imported', 'half'])).code, 2);
  assert.match((await cli(['enable', 'ghost'])).stderr, /flag "ghost" does not exist/);
  assert.equal(api.flags.snapshot().revision, rev);
});

test('token prints the client token, which cannot change flags', async () => {
  const t = await cli(['token']);
  assert.equal(t.stdout.trim(), CLIENT);
  const denied = await cli(['disable', 'imported'], CLIENT);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /client token cannot change anything/);
});
