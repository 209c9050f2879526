// An instance drained and then put back into the table (a new controller
// decided to keep it) serves again, and the abandoned drain's timeout cuts
// nothing it took after coming back.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createProxy } from '../../src/proxy/proxy.ts';
import { get, oneService, startUpstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanupsAfter } from '../helpers/cleanups.ts';

const cleanups = cleanupsAfter(after);

test('a drained instance re-added to the table gets traffic again, and the old drain cuts nothing', async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const up = await startUpstream('x', (req, res) => {
    req.resume();
    if (req.url === '/hold') void released.then(() => res.end('held'));
    else res.end('x');
  });
  cleanups.push(() => up.close());
  const proxy = createProxy({ queueTimeoutMs: 300 });
  cleanups.push(() => proxy.close());
  const withX = oneService([{ name: 'v1', weightBp: 10000, ports: [up.port] }]);
  const withoutX = oneService([{ name: 'v1', weightBp: 10000, ports: [] }]);
  await proxy.apply(withX);
  const base = `http://127.0.0.1:${proxy.addresses()[0]!.port}`;
  const id = withX.services[0]!.revisions[0]!.instances[0]!.id;

  const held = get(`${base}/hold`); // in flight on x while it is drained
  // At the upstream, so in flight through the proxy (a fixed 100 ms head start could lose to a slow first request).
  await waitFor(() => up.seen.some((r) => r.url === '/hold'), '/hold at the upstream');
  await proxy.apply(withoutX);
  const drain = proxy.drain(id, 800);
  assert.equal((await get(`${base}/`)).status, 503, 'removed and draining: no new requests');

  await proxy.apply(withX);
  assert.deepEqual(await drain, { drained: false, cut: 0 }, 're-adding calls the drain off without cutting');
  const again = await get(`${base}/`);
  assert.equal(again.status, 200, 'back in the table: it serves again');
  assert.equal(again.body, 'x');

  await new Promise((r) => setTimeout(r, 1000)); // past the old drain's timeout
  release();
  const h = await held;
  assert.equal(h.status, 200, 'the request in flight across remove and re-add was not cut');
  assert.equal(h.body, 'held');
});

test('the admin API answers 400, not 500, to an instance id with malformed percent-encoding', async () => {
  const { startAdminServer } = await import('../../src/proxy/admin-server.ts');
  const proxy = createProxy();
  cleanups.push(() => proxy.close());
  const admin = await startAdminServer(proxy, { host: '127.0.0.1', port: 0, token: 't0k3n' });
  cleanups.push(() => admin.close());
  const res = await fetch(`${admin.url}/instances/%E0%A4%A/ready`, {
    method: 'PUT',
    headers: { authorization: 'Bearer t0k3n', 'content-type': 'application/json' },
    body: JSON.stringify({ ready: true }),
  });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { message: string }).message, /percent-encoding/);
});
