import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { hostList } from '../../src/config/hosts-schema.ts';
import { scaleForHosts } from '../../src/config/hosts-scale.ts';

const service = (extra = '') => `
services:
  web:
    listen: 8080
    image: shop/web:1
    port: 3000
    replicas: 2
${extra}`;

function issues(text: string): Array<{ path: string; message: string }> {
  try {
    parseConfigText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => ({ path: i.path, message: i.message }));
  }
  assert.fail('the config was accepted');
}

test('hosts: strings and objects, with names and addresses from the Engine URL', () => {
  const cfg = parseConfigText(`runtime: { docker: {} }\nhosts:\n  - tcp://10.0.1.10:2376\n  - { docker: 'tcp://h2.internal:2376', name: web-2, address: 10.0.1.11 }\n  - { docker: 'ssh://deploy@10.0.1.12', ssh: { keyFile: k } }\n${service()}`);
  assert.deepEqual(hostList(cfg.hosts), [
    { name: '10.0.1.10', docker: 'tcp://10.0.1.10:2376', address: '10.0.1.10' },
    { name: 'web-2', docker: 'tcp://h2.internal:2376', address: '10.0.1.11' },
    { name: '10.0.1.12', docker: 'ssh://deploy@10.0.1.12', address: '10.0.1.12', ssh: { keyFile: 'k' } },
  ]);
  assert.equal(cfg.proxy.image, 'node:20-slim');
  assert.equal(cfg.proxy.adminPort, 9400);
});

test('hosts: a bad entry names the field, the value and the fix', () => {
  const cases: Array<{ yaml: string; path: string; message: RegExp }> = [
    { yaml: `hosts: [tcp://10.0.1.10:2376]\nservices: { web: { listen: 8080, run: node s.js } }`, path: 'hosts', message: /runtime: \{ docker: \{\} \}/ },
    { yaml: `runtime: { docker: {} }\nhosts: ['http://10.0.1.10:2375']\n${service()}`, path: 'hosts.0', message: /tcp:\/\/host:2376 \(with `tls`\) or ssh:\/\/user@host/ },
    { yaml: `runtime: { docker: {} }\nhosts: ['not a url']\n${service()}`, path: 'hosts.0', message: /not a URL/ },
    { yaml: `runtime: { docker: {} }\nhosts: [tcp://10.0.1.10:2376, 'tcp://10.0.1.10:2377']\n${service()}`, path: 'hosts.1', message: /listed twice/ },
    { yaml: `runtime: { docker: {} }\nhosts: [tcp://10.0.1.10:2376]\n${service('    tls: { certFile: c.pem, keyFile: k.pem }')}`, path: 'services.web.tls', message: /load balancer/ },
  ];
  for (const c of cases) {
    const found = issues(c.yaml);
    const hit = found.find((i) => i.path === c.path);
    assert.ok(hit, `${c.path} in ${JSON.stringify(found)}`);
    assert.match(hit.message, c.message);
  }
});

test('hosts: counts in the file are per host; the controller plans the totals', () => {
  const text = `runtime: { docker: {} }\nhosts: [tcp://a:2376, tcp://b:2376, tcp://c:2376]\n${service(`    strategy:
      canary:
        steps: [ { setCanaryScale: { replicas: 1 } }, { setWeight: 10 }, { setCanaryScale: { weight: 50 } } ]
  api:
    listen: 8081
    image: shop/api:1
    port: 3000
    strategy: { rolling: { maxSurge: 1, maxUnavailable: '25%' } }`)}`;
  const scaled = scaleForHosts(parseConfigText(text));
  assert.equal(scaled.services.web!.replicas, 6);
  assert.deepEqual(scaled.services.web!.strategy.canary!.steps, [{ setCanaryScale: { replicas: 3 } }, { setWeight: 10 }, { setCanaryScale: { weight: 50 } }]);
  assert.equal(scaled.services.api!.replicas, 3);
  assert.deepEqual(scaled.services.api!.strategy.rolling, { maxSurge: 3, maxUnavailable: '25%' });
  const one = parseConfigText(`runtime: { docker: {} }\nhosts: [tcp://a:2376]\n${service()}`);
  assert.equal(scaleForHosts(one), one, 'one host: nothing to scale');
});
