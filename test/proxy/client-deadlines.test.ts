// A client connection's deadlines: what the sweeper does to a connection at a given moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overdue, type ConnectionTimes } from '../../src/proxy/http1/client-deadlines.ts';

const limits = { maxHeaderBytes: 16384, maxBodyBytes: 1e7, headersTimeoutMs: 1000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 2000, sendTimeoutMs: 3000, minBodyRate: 1000 };
const at = (over: Partial<ConnectionTimes>): ConnectionTimes => ({ state: 'active', since: 0, blockedSince: -1, heldSince: -1, bodyDone: false, received: 0, ...over });

test('overdue: send timeout first, then idle, head, body time and body rate; time the proxy holds a body does not count', () => {
  const cases: Array<[string, ConnectionTimes, number, ReturnType<typeof overdue>]> = [
    ['a client that reads nothing for longer than sendTimeout', at({ state: 'flushing', blockedSince: 0 }), 3001, 'destroy'],
    ['idle past keepAliveTimeout', at({ state: 'idle' }), 2001, 'close'],
    ['idle within it', at({ state: 'idle' }), 1999, null],
    ['a head not in within headersTimeout', at({ state: 'head' }), 1001, { timeout: 'request head not received within 1000 ms' }],
    ['a body not in within requestTimeout', at({ received: 1e9 }), 5001, { timeout: 'request body not received within 5000 ms' }],
    ['a body under minBodyRate (500 bytes after 1.6 s)', at({ received: 500 }), 1600, { timeout: 'request body slower than 1000 bytes/s' }],
    ['a body at the rate (1000 bytes after 1.6 s)', at({ received: 1000 }), 1600, null],
    ['a body the proxy holds back', at({ heldSince: 10 }), 9000, null],
    ['a body read to its end', at({ bodyDone: true }), 9000, null],
  ];
  for (const [what, t, now, want] of cases) assert.deepEqual(overdue(t, limits, now), want, what);
});
