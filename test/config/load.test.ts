import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { jsonSchema, strategyName } from '../../src/config/schema.ts';

const minimal = `
services:
  web:
    listen: 8080
    run: node server.js
`;

test('a minimal config gets the documented defaults', () => {
  const cfg = parseConfigText(minimal);
  const web = cfg.services.web!;
  assert.equal(cfg.stateDir, '.cutover');
  assert.deepEqual(cfg.api, { host: '127.0.0.1', port: 7070 });
  assert.equal(web.replicas, 1);
  assert.equal(web.version, 'v1');
  assert.equal(web.shutdown.drainTimeout, 30_000);
  assert.equal(web.shutdown.signal, 'SIGTERM');
  assert.equal(web.progressDeadlineSeconds, 120);
  assert.equal(strategyName(web.strategy), 'rolling');
  assert.deepEqual(web.strategy.rolling, { maxSurge: 1, maxUnavailable: 0 });
});

test('durations are parsed into milliseconds and canary steps keep their order', () => {
  const cfg = parseConfigText(`
services:
  web:
    listen: 8080
    run: node server.js
    readiness: { path: /healthz, interval: 500ms, timeout: 2s }
    shutdown: { drainTimeout: 1m, killAfter: 1.5s }
    strategy:
      canary:
        steps: [ { setWeight: 10 }, { pause: { duration: 30s } }, { setWeight: 50 }, { pause: {} } ]
`);
  const web = cfg.services.web!;
  assert.equal(web.readiness.interval, 500);
  assert.equal(web.readiness.timeout, 2000);
  assert.equal(web.shutdown.drainTimeout, 60_000);
  assert.equal(web.shutdown.killAfter, 1500);
  assert.deepEqual(web.strategy.canary?.steps, [
    { setWeight: 10 },
    { pause: { duration: 30_000 } },
    { setWeight: 50 },
    { pause: {} },
  ]);
});

test('the log size limit reads bytes or units (KiB/MiB/GiB, kB/MB/GB) and defaults to 100 MiB; a bad one names the field', () => {
  const base = 'services:\n  web:\n    listen: 8080\n    run: node server.js\n';
  assert.equal(parseConfigText(base).logs.maxSize, 100 * 1024 * 1024);
  assert.equal(parseConfigText(`logs: { maxSize: 10MiB }\n${base}`).logs.maxSize, 10 * 1024 * 1024);
  assert.equal(parseConfigText(`logs: { maxSize: 1.5GB }\n${base}`).logs.maxSize, 1_500_000_000);
  assert.equal(parseConfigText(`logs: { maxSize: 4096 }\n${base}`).logs.maxSize, 4096);
  assert.throws(() => parseConfigText(`logs: { maxSize: big }\n${base}`), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const issue = err.issues.find((i) => i.path === 'logs.maxSize');
    assert.match(issue?.message ?? '', /"big" is not a size; write it like 512KiB, 100MiB/);
    return true;
  });
});

test('every problem is reported with its path, the value found and a hint', () => {
  let err: unknown;
  try {
    parseConfigText(`
services:
  web:
    listen: 99999
    run: node server.js
    replica: 3
    readiness: { interval: soon }
    strategy: { rolling: {}, canary: { steps: [] } }
`);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, 'expected a ConfigError');
  assert.equal(err.code, 'CONFIG_INVALID');
  const byPath = new Map(err.issues.map((i) => [i.path, i]));
  assert.equal(byPath.get('services.web.listen')?.value, 99999);
  assert.match(byPath.get('services.web')!.hint!, /replica/);
  assert.match(byPath.get('services.web.readiness.interval')!.message, /"soon" is not a duration/);
  assert.match(byPath.get('services.web.strategy')!.message, /exactly one strategy/);
  assert.match(err.message, /services\.web\.listen/);
});

test('YAML syntax errors are reported as config errors, not crashes', () => {
  assert.throws(() => parseConfigText('services: [unclosed'), (e: unknown) => e instanceof ConfigError && /YAML/.test(e.issues[0]!.hint!));
});

test('loadConfigFile resolves cwd and stateDir against the file, and names an unreadable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cfg-'));
  try {
    writeFileSync(join(dir, 'cutover.yaml'), minimal + '    cwd: ./app\n');
    const { config } = loadConfigFile(join(dir, 'cutover.yaml'));
    assert.equal(config.stateDir, join(dir, '.cutover'));
    assert.equal(config.services.web!.cwd, join(dir, 'app'));
    assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the JSON Schema for editors is derived from the same schema', () => {
  const schema = jsonSchema() as { properties: Record<string, { additionalProperties?: { properties?: Record<string, unknown> } }> };
  const service = schema.properties.services!.additionalProperties!;
  for (const field of ['listen', 'run', 'replicas', 'readiness', 'shutdown', 'strategy', 'progressDeadlineSeconds']) {
    assert.ok(service.properties?.[field], `JSON Schema lacks services.*.${field}`);
  }
});

test('docs/cutover.schema.json is the schema as generated now (run `cutover schema > docs/cutover.schema.json`)', async () => {
  const { readFileSync } = await import('node:fs');
  const committed = JSON.parse(readFileSync(new URL('../../docs/cutover.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(committed, jsonSchema());
});

test('ports are checked across services, preview ports and the API, and versions must not be empty', () => {
  const issuesOf = (text: string) => {
    try {
      parseConfigText(text);
      return [];
    } catch (e) {
      return (e as ConfigError).issues;
    }
  };
  const clash = issuesOf(`
api: { port: 9000 }
services:
  a: { listen: 8080, run: x }
  b: { listen: 8080, run: x }
  c: { listen: 9000, run: x, version: "" }
  d: { listen: 8081, run: x, strategy: { blueGreen: { previewPort: 8080 } } }
`);
  const paths = clash.map((i) => i.path).sort();
  assert.deepEqual(paths, ['services.b.listen', 'services.c.listen', 'services.c.version', 'services.d.strategy.blueGreen.previewPort']);
  assert.match(clash.find((i) => i.path === 'services.b.listen')!.message, /already used by service a/);
  assert.match(clash.find((i) => i.path === 'services.c.listen')!.message, /control API/);

  const shared = issuesOf(`
services:
  a: { listen: 8080, run: x, hosts: [a.example] }
  b: { listen: 8080, run: x, hosts: [b.example] }
`);
  assert.deepEqual(shared, [], 'services that name their hosts may share a port');
});

// ---- hostile or careless files (issue #10): refused with a ConfigError naming the problem, in bounded time ----

/** An alias bomb: ten levels of ten aliases each, 10^10 nodes once expanded. */
const aliasBomb = (): string => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nservices:\n  web: { listen: 8080, run: x }\n`;
};

test('a YAML alias bomb is a ConfigError (not an uncaught ReferenceError), found at once', () => {
  const t0 = performance.now();
  assert.throws(() => parseConfigText(aliasBomb()), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.issues[0]!.message, /cannot be expanded: Excessive alias count/);
    assert.match(e.issues[0]!.hint!, /aliases/);
    return true;
  });
  assert.ok(performance.now() - t0 < 1_000);
  // A few ordinary aliases still work.
  const cfg = parseConfigText('services:\n  web: { listen: 8080, run: &cmd "node server.js" }\n  api: { listen: 8081, run: *cmd }\n');
  assert.equal(cfg.services.api!.run, 'node server.js');
});

test('service names must be [a-z0-9][a-z0-9-]*: __proto__ (which used to vanish silently) and others are refused with their path', () => {
  for (const name of ['__proto__', 'Web', '-web', 'web_1', 'constructor!', '"a b"']) {
    assert.throws(() => parseConfigText(`services:\n  ${name}: { listen: 8080, run: x }\n  ok: { listen: 8081, run: y }\n`), (e: unknown) => {
      assert.ok(e instanceof ConfigError, name);
      const unquoted = name.replace(/"/g, '');
      assert.deepEqual(e.issues.map((i) => i.path), [`services.${unquoted}`], name);
      assert.match(e.issues[0]!.message, /is not a service name/);
      return true;
    });
  }
  assert.deepEqual(Object.keys(parseConfigText('services:\n  web-2: { listen: 8080, run: x }\n  3d: { listen: 8081, run: y }\n').services), ['web-2', '3d']);
});

test('a file with bytes that are not UTF-8 is refused with the line and column, not read with U+FFFD in it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cfg-'));
  try {
    const file = join(dir, 'cutover.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('services:\n  web:\n    listen: 8080\n    run: echo caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && /line 4, column 18: byte 0xe9 is not UTF-8/.test(e.message));
    // overlong, surrogate and truncated sequences too; real UTF-8 (é, emoji) is fine
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
      writeFileSync(file, Buffer.concat([Buffer.from('services:\n  web: { listen: 8080, run: "'), Buffer.from(bad)]));
      assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && /line 2, column 30/.test(e.message), String(bad));
    }
    writeFileSync(file, 'services:\n  web: { listen: 8080, run: "echo café 🎉" }\n');
    assert.equal(loadConfigFile(file).config.services.web!.run, 'echo café 🎉');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config over 1 MiB is refused before it is parsed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cfg-'));
  try {
    const file = join(dir, 'cutover.yaml');
    writeFileSync(file, `${minimal}# ${'x'.repeat(50 * 1024 * 1024)}\n`);
    const t0 = performance.now();
    assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && /is 52428\d+ bytes; a config file may be at most 1048576 bytes/.test(e.message));
    assert.ok(performance.now() - t0 < 1_000, `took ${performance.now() - t0} ms`);
    assert.throws(() => parseConfigText(`${minimal}# ${'x'.repeat(1024 * 1024)}\n`), (e: unknown) => e instanceof ConfigError && /at most 1048576 bytes/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls: paths resolve against the config file; a port is HTTPS or not for all its services; one HTTP port redirects to one HTTPS port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cfg-'));
  try {
    writeFileSync(join(dir, 'cutover.yaml'), `${minimal}    tls: { certFile: certs/web.crt, keyFile: /etc/web.key, redirectHttp: 80, hsts: { maxAge: 365d } }\n`);
    const web = loadConfigFile(join(dir, 'cutover.yaml')).config.services.web!;
    assert.deepEqual(web.tls, { certFile: join(dir, 'certs', 'web.crt'), keyFile: '/etc/web.key', redirectHttp: 80, hsts: { maxAge: 31_536_000, includeSubDomains: false } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const issuesOf = (text: string) => {
    try {
      parseConfigText(text);
      return [];
    } catch (e) {
      return (e as ConfigError).issues;
    }
  };
  const tls = (extra = '') => `tls: { certFile: a.crt, keyFile: a.key${extra} }`;
  const mixed = issuesOf(`
services:
  a: { listen: 443, run: x, hosts: [a.example], ${tls()} }
  b: { listen: 443, run: x, hosts: [b.example] }
`);
  assert.deepEqual(mixed.map((i) => i.path), ['services.b.tls']);
  assert.match(mixed[0]!.message, /port 443 serves HTTPS for service a; services sharing a port must all set `tls` or none/);

  const redirects = issuesOf(`
services:
  a: { listen: 443, run: x, hosts: [a.example], ${tls(', redirectHttp: 80')} }
  b: { listen: 443, run: x, hosts: [b.example], ${tls(', redirectHttp: 80')} }
  c: { listen: 8443, run: x, ${tls(', redirectHttp: 80')} }
  d: { listen: 9443, run: x, ${tls(', redirectHttp: 9443')} }
`);
  assert.deepEqual(redirects.map((i) => i.path).sort(), ['services.c.tls.redirectHttp', 'services.d.tls.redirectHttp']);
  assert.match(redirects.find((i) => i.path === 'services.c.tls.redirectHttp')!.message, /port 80 is already used by the HTTP redirect of a \(to port 443\)/);
  assert.match(redirects.find((i) => i.path === 'services.d.tls.redirectHttp')!.message, /port 9443 is already used by service d/);

  const bareNumber = issuesOf(`services:\n  a: { listen: 443, run: x, ${tls(', hsts: { maxAge: 31536000 }')} }\n`);
  assert.deepEqual(bareNumber.map((i) => i.path), ['services.a.tls.hsts.maxAge']);
  assert.match(bareNumber[0]!.message, /with a unit, e\.g\. 365d/);
});

test('experiment split: a percent for the new variant, or shares by variant name; unknown names and bad sums name the field', () => {
  const split = (s: string) => parseConfigText(`services:\n  web:\n    listen: 8080\n    run: node server.js\n    strategy: { experiment: { variants: { control: stable, treatment: new }, split: ${s} } }\n`).services.web!.strategy.experiment!.split;
  assert.equal(split('30'), 30);
  assert.equal(split('{ treatment: 20 }'), 20);
  assert.equal(split('{ control: 90 }'), 10);
  assert.equal(split('{ control: 75, treatment: 25 }'), 25);
  const issue = (s: string) => {
    try {
      split(s);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.issues.find((i) => i.path === 'services.web.strategy.experiment.split')?.message;
    }
    assert.fail(`split ${s} was accepted`);
  };
  assert.match(issue('{ b: 50 }')!, /no variant named b; the variants are control, treatment/);
  assert.match(issue('{ control: 60, treatment: 60 }')!, /add up to 120, not 100/);
});

test('build: needs the docker runtime and a port; with them it stands in for image', () => {
  const bad = (text: string): Array<{ path: string; message: string }> => {
    try {
      parseConfigText(text);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.issues.map((i) => ({ path: i.path, message: i.message }));
    }
    assert.fail('accepted');
  };
  const noDocker = bad('services:\n  web: { listen: 8080, run: node s.js, port: 3000, build: { context: . } }\n');
  assert.ok(noDocker.some((i) => i.path === 'services.web.build' && /runtime: \{ docker: \{\} \}/.test(i.message)), JSON.stringify(noDocker));
  const noPort = bad('runtime: { docker: {} }\nservices:\n  web: { listen: 8080, build: { context: . } }\n');
  assert.ok(noPort.some((i) => i.path === 'services.web.port'), JSON.stringify(noPort));
  const ok = parseConfigText('runtime: { docker: {} }\nservices:\n  web: { listen: 8080, port: 3000, build: { context: app, dockerfile: Dockerfile.prod, args: { NODE_ENV: production } } }\n');
  assert.deepEqual(ok.services.web!.build, { context: 'app', dockerfile: 'Dockerfile.prod', args: { NODE_ENV: 'production' } });
});
