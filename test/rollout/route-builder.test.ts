import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.ts';
import { buildRoutes, type ServiceRouteInput } from '../../src/rollout/route-builder.ts';
import { emptyDesired } from '../../src/rollout/state.ts';

const cfg = parseConfig({ services: { web: { listen: 8080, run: 'x', revisionHeader: true, hosts: ['a.test'] } } }).services.web!;
const inst = (id: string, port: number) => ({ id, host: '127.0.0.1', port, ready: true });

function input(over: Partial<ServiceRouteInput>): ServiceRouteInput {
  return { name: 'web', cfg, desired: emptyDesired(), versions: { 1: 'v1', 2: 'v2', 3: 'v2' }, ready: {}, ...over };
}

describe('route builder', () => {
  test('one service on its listen port, revisions keyed by number with their version label, weights kept', () => {
    const desired = { ...emptyDesired(), scale: { 1: 2, 2: 1 }, weightsBp: { 1: 7500, 2: 2500 }, match: [{ revision: 2, header: 'x-canary' }] };
    const t = buildRoutes([input({ desired, ready: { 1: [inst('a', 1), inst('b', 2)], 2: [inst('c', 3)] } })]);
    assert.deepEqual(t.listeners, [{ port: 8080, services: ['web'] }]);
    assert.deepEqual(t.services[0], {
      name: 'web',
      hosts: ['a.test'],
      revisions: [
        { name: '1', version: 'v1', weightBp: 7500, instances: [inst('a', 1), inst('b', 2)] },
        { name: '2', version: 'v2', weightBp: 2500, instances: [inst('c', 3)] },
      ],
      rules: [{ revision: '2', header: { name: 'x-canary', value: '1' } }],
      revisionHeader: true,
      drainTimeoutMs: 30_000,
    });
  });

  test('weight on a revision without ready instances moves to one that has some; its rule is dropped', () => {
    const desired = { ...emptyDesired(), scale: { 1: 2, 2: 1 }, weightsBp: { 1: 7500, 2: 2500 }, match: [{ revision: 2, header: 'x-canary' }] };
    const t = buildRoutes([input({ desired, ready: { 1: [inst('a', 1)] } })]);
    assert.deepEqual(t.services[0]!.revisions.map((r) => [r.name, r.weightBp]), [['1', 10000], ['2', 0]]);
    assert.equal(t.services[0]!.rules, undefined);
  });

  test('nothing ready anywhere: weights stay so the proxy queues rather than refuses', () => {
    const desired = { ...emptyDesired(), scale: { 1: 2 }, weightsBp: {} };
    const t = buildRoutes([input({ desired })]);
    assert.deepEqual(t.services[0]!.revisions, [{ name: '1', version: 'v1', weightBp: 10000, instances: [] }]);
  });

  test('revisions sharing a label stay apart by number; preview port gets its own listener and service', () => {
    const desired = { ...emptyDesired(), scale: { 2: 1, 3: 1 }, weightsBp: { 2: 10000 }, previewPort: { revision: 3, port: 9090 } };
    const t = buildRoutes([input({ desired, ready: { 2: [inst('a', 1)], 3: [inst('b', 2)] } })]);
    assert.deepEqual(t.services.map((s) => [s.name, s.revisions.map((r) => r.name)]), [['web', ['2', '3']], ['web:preview', ['3']]]);
    assert.deepEqual(t.listeners, [{ port: 8080, services: ['web'] }, { port: 9090, services: ['web:preview'] }]);
  });

  test('a service with nothing to route is left out with its listener', () => {
    assert.deepEqual(buildRoutes([input({})]), { listeners: [], services: [] });
  });

  test('services sharing a port share one listener', () => {
    const desired = { ...emptyDesired(), scale: { 1: 1 }, weightsBp: { 1: 10000 } };
    const api = parseConfig({ services: { api: { listen: 8080, run: 'x', hosts: ['api.test'] } } }).services.api!;
    const t = buildRoutes([input({ desired }), input({ name: 'api', cfg: api, desired })]);
    assert.deepEqual(t.listeners, [{ port: 8080, services: ['web', 'api'] }]);
    assert.deepEqual(t.services.map((s) => [s.name, s.hosts]), [['web', ['a.test']], ['api', ['api.test']]]);
  });

  test('client X-Forwarded-* are trusted on a port only if every service on it says so; a preview port follows its service', () => {
    const desired = { ...emptyDesired(), scale: { 1: 1 }, weightsBp: { 1: 10000 }, previewPort: { revision: 1, port: 9090 } };
    const svc = (name: string, trust: boolean) =>
      parseConfig({ services: { [name]: { listen: 8080, run: 'x', hosts: [`${name}.test`], trustForwardedHeaders: trust } } }).services[name]!;
    const listeners = (webTrusts: boolean, apiTrusts: boolean) =>
      buildRoutes([input({ cfg: svc('web', webTrusts), desired }), input({ name: 'api', cfg: svc('api', apiTrusts), desired: { ...desired, previewPort: null } })]).listeners;
    assert.deepEqual(listeners(true, true), [{ port: 8080, services: ['web', 'api'], trustForwarded: true }, { port: 9090, services: ['web:preview'], trustForwarded: true }]);
    assert.deepEqual(listeners(true, false), [{ port: 8080, services: ['web', 'api'] }, { port: 9090, services: ['web:preview'], trustForwarded: true }]);
    assert.deepEqual(listeners(false, false), [{ port: 8080, services: ['web', 'api'] }, { port: 9090, services: ['web:preview'] }]);
  });

  test('HTTPS: services on a port bring one certificate each for their hosts; the preview port and the redirect follow', () => {
    const desired = { ...emptyDesired(), scale: { 1: 1 }, weightsBp: { 1: 10000 } };
    const cfg = parseConfig({
      services: {
        web: { listen: 443, run: 'x', hosts: ['a.test'], tls: { certFile: '/c/a.crt', keyFile: '/c/a.key', redirectHttp: 80, hsts: { maxAge: '2d', includeSubDomains: true } }, strategy: { blueGreen: { previewPort: 8443 } } },
        www: { listen: 443, run: 'x', hosts: ['www.a.test'], tls: { certFile: '/c/a.crt', keyFile: '/c/a.key', redirectHttp: 80 } },
        api: { listen: 443, run: 'x', hosts: ['api.test'], tls: { certFile: '/c/api.crt', keyFile: '/c/api.key' } },
      },
    }).services;
    const t = buildRoutes([
      input({ cfg: cfg.web!, desired: { ...desired, previewPort: { revision: 1, port: 8443 } } }),
      input({ name: 'www', cfg: cfg.www!, desired }),
      input({ name: 'api', cfg: cfg.api!, desired }),
    ]);
    const a = { certFile: '/c/a.crt', keyFile: '/c/a.key' };
    assert.deepEqual(t.listeners, [
      { port: 80, services: [], redirectToHttps: { port: 443 } },
      { port: 443, services: ['web', 'www', 'api'], tls: { certificates: [{ ...a, hosts: ['a.test', 'www.a.test'] }, { certFile: '/c/api.crt', keyFile: '/c/api.key', hosts: ['api.test'] }] } },
      { port: 8443, services: ['web:preview'], tls: { certificates: [{ ...a, hosts: ['a.test'] }] } },
    ]);
    assert.deepEqual(t.services.map((s) => [s.name, s.hsts]), [
      ['web', { maxAgeSeconds: 172_800, includeSubDomains: true }],
      ['web:preview', { maxAgeSeconds: 172_800, includeSubDomains: true }],
      ['www', undefined],
      ['api', undefined],
    ]);
  });
});
