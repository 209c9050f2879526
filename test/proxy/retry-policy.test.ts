// Which failed attempts may go to another instance: never one that may have run a side effect, unless it is safe twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayRetry } from '../../src/proxy/retry-policy.ts';
import { UpstreamError } from '../../src/proxy/http1/upstream-error.ts';

const whole = { replayable: true, bodyTouched: false, nonIdempotent: false };

test('mayRetry: by what reached the instance, the method, the body and the opt-in', () => {
  const cases: Array<[string, string, Partial<typeof whole> & { method: string }, boolean]> = [
    ['connect refused: nothing sent, a POST goes elsewhere', 'ECONNREFUSED', { method: 'POST' }, true],
    ['stale pooled connection: nothing sent', 'UPSTREAM_STALE', { method: 'POST' }, true],
    ['reset after the write: a GET is sent again', 'ECONNRESET', { method: 'GET' }, true],
    ['reset after the write: a POST may have acted', 'ECONNRESET', { method: 'POST' }, false],
    ['reset after the write: a POST of a service that opted in', 'ECONNRESET', { method: 'POST', nonIdempotent: true }, true],
    ['reset after the write: a streamed PUT cannot be replayed', 'ECONNRESET', { method: 'PUT', replayable: false, bodyTouched: true }, false],
    ['nothing sent, streamed body not yet handed on', 'ECONNREFUSED', { method: 'POST', replayable: false, bodyTouched: false }, true],
    ['nothing sent, but part of a streamed body already went', 'ECONNREFUSED', { method: 'POST', replayable: false, bodyTouched: true }, false],
    ['no response head in time: never retried', 'UPSTREAM_HEADERS_TIMEOUT', { method: 'GET' }, false],
  ];
  for (const [what, code, attempt, want] of cases) assert.equal(mayRetry(new UpstreamError(code, what), { ...whole, ...attempt }), want, what);
});
