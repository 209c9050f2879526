// Unit tests of the HTTP/1.1 head parser and the chunked scanner. Both are
// pure functions over bytes (no I/O), so they are called directly here; the
// socket-level behaviour is covered in http1-edges and http1-conformance.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { findHeadEnd, hasToken, HeadError, parseRequestHead, type RequestHead } from '../../src/proxy/http1/head-parser.ts';
import { parseResponseHead, type ResponseHead } from '../../src/proxy/http1/response-head.ts';
import { ChunkedScanner } from '../../src/proxy/http1/chunked.ts';

const MAX = 16 * 1024;

/** Parses a whole request head given as a latin1 string. */
function req(text: string): RequestHead {
  const buf = Buffer.from(text, 'latin1');
  const end = findHeadEnd(buf, 0, MAX);
  assert.ok(end > 0, 'head end not found');
  return parseRequestHead(buf, end);
}

function res(text: string): ResponseHead {
  const buf = Buffer.from(text, 'latin1');
  const end = findHeadEnd(buf, 0, MAX);
  assert.ok(end > 0, 'head end not found');
  return parseResponseHead(buf, end);
}

/** Asserts that fn throws a HeadError with the given problem. */
function refuses(fn: () => unknown, problem: 'bad-request' | 'too-large' | 'not-implemented' = 'bad-request'): void {
  assert.throws(fn, (err: unknown) => err instanceof HeadError && err.problem === problem);
}

const h = (lines: string): string => `GET / HTTP/1.1\r\nHost: x\r\n${lines}\r\n`;

describe('parseRequestHead: request line', () => {
  test('method, target and minor version are read from the request line', () => {
    for (const [line, method, target, minor] of [
      ['GET / HTTP/1.1', 'GET', '/', 1],
      ['POST /a/b?x=1&y=%20 HTTP/1.1', 'POST', '/a/b?x=1&y=%20', 1],
      ['DELETE /item/7 HTTP/1.0', 'DELETE', '/item/7', 0],
      ['OPTIONS * HTTP/1.1', 'OPTIONS', '*', 1],
      ['PROPFIND /dav HTTP/1.1', 'PROPFIND', '/dav', 1],
      ['M-SEARCH * HTTP/1.1', 'M-SEARCH', '*', 1],
    ] as const) {
      const r = req(`${line}\r\nHost: x\r\n\r\n`);
      assert.deepEqual([r.method, r.target, r.minor], [method, target, minor], line);
    }
  });

  test('malformed request lines are refused as bad-request', () => {
    for (const line of [
      'GET HTTP/1.1', // missing target
      'GET /', // HTTP/0.9 style
      'GET / HTTP/2.0',
      'GET / HTTP/1.2',
      'GET / http/1.1',
      'GET / HTTP/1',
      'GET  / HTTP/1.1', // two spaces
      'GET / HTTP/1.1 ', // trailing space
      'G(T / HTTP/1.1', // method not a token
      ' GET / HTTP/1.1',
      '',
    ]) {
      refuses(() => req(`${line}\r\nHost: x\r\n\r\n`));
    }
  });

  test('headEnd is the offset just after the blank line', () => {
    const head = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
    const r = req(`${head}BODY`);
    assert.equal(r.headEnd, Buffer.byteLength(head));
  });
});

describe('parseRequestHead: headers', () => {
  test('headers keep their order and the case of their names; values are trimmed', () => {
    const r = req('GET / HTTP/1.1\r\nHost: app.test\r\nX-MiXeD: VaLuE\r\nset-cookie:  a=1 \r\nX-Empty:\r\nX-MiXeD: second\r\n\r\n');
    assert.deepEqual(r.headers, ['Host', 'app.test', 'X-MiXeD', 'VaLuE', 'set-cookie', 'a=1', 'X-Empty', '', 'X-MiXeD', 'second']);
  });

  test('without framing headers: contentLength -1, not chunked, empty connection/upgrade', () => {
    const r = req(h(''));
    assert.deepEqual([r.contentLength, r.chunked, r.connection, r.upgrade, r.expectContinue], [-1, false, '', '', false]);
  });

  test('Content-Length accepts digits only', () => {
    assert.equal(req(h('Content-Length: 0\r\n')).contentLength, 0);
    assert.equal(req(h('content-length: 12345\r\n')).contentLength, 12345);
    assert.equal(req(h('CONTENT-LENGTH:   42  \r\n')).contentLength, 42);
    for (const v of ['', '-1', '+5', '0x10', '1e3', '5 5', '5,5', '1.0', 'abc', '9'.repeat(16)]) {
      refuses(() => req(h(`Content-Length: ${v}\r\n`)));
    }
  });

  test('duplicate Content-Length: equal values are accepted, different values refused', () => {
    assert.equal(req(h('Content-Length: 7\r\nContent-Length: 7\r\n')).contentLength, 7);
    refuses(() => req(h('Content-Length: 7\r\nContent-Length: 8\r\n')));
    refuses(() => req(h('Content-Length: 0\r\ncontent-length: 1\r\n')));
  });

  test('a request Transfer-Encoding is chunked alone (any case); other codings before it are 501, anything else 400', () => {
    assert.equal(req(h('Transfer-Encoding: chunked\r\n')).chunked, true);
    const upper = req(h('transfer-encoding: CHUNKED\r\n'));
    assert.deepEqual([upper.chunked, upper.transferEncoding], [true, 'chunked'], 'what goes upstream is plain "chunked"');
    for (const v of ['gzip, chunked', 'identity, chunked', 'GZIP ,chunked', 'x-custom;a=1, chunked']) {
      refuses(() => req(h(`Transfer-Encoding: ${v}\r\n`)), 'not-implemented');
    }
    for (const v of ['gzip', 'chunked, gzip', 'identity', 'chunked,', ',chunked', 'gzip,,chunked', 'xchunked', 'chunked;q=1', 'chunked, chunked', 'g(z), chunked', '']) {
      refuses(() => req(h(`Transfer-Encoding: ${v}\r\n`)));
    }
    // chunked applied twice would make the end of the body ambiguous
    refuses(() => req(h('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n')));
    // HTTP/1.0 has no Transfer-Encoding (RFC 9112 §6.1)
    refuses(() => req('POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'));
  });

  test('Host: required in HTTP/1.1, and a valid host[:port] when present (RFC 9112 §3.2)', () => {
    for (const v of ['a', 'app.test', 'app.test:8080', 'app.test:', '127.0.0.1:1', '[::1]', '[::1]:443', '[v1.fe80::a+en1]', 'xn--bcher-kva.example', 'a_b~c!$&\'()*+,;=d', '%41pp.test']) {
      assert.equal(req(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`).method, 'GET', v);
    }
    assert.equal(req('GET / HTTP/1.0\r\n\r\n').minor, 0, 'HTTP/1.0 may omit Host');
    refuses(() => req('GET / HTTP/1.1\r\nX-A: 1\r\n\r\n'));
    for (const v of ['', ' ', 'a b', 'a/b', 'a@b', 'user@host', 'a:b', 'a:123456', ':80', '[::1', '[]', '[::1]x', 'a%4', 'a%zz', 'h\xe9.test', 'a\tb', 'a"b', 'a:80:80']) {
      refuses(() => req(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`));
    }
  });

  test('Content-Length together with Transfer-Encoding on a request is refused (smuggling)', () => {
    refuses(() => req(h('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n')));
    refuses(() => req(h('Transfer-Encoding: chunked\r\nContent-Length: 0\r\n')));
  });

  test('obs-fold (a line starting with whitespace) is refused', () => {
    refuses(() => req(h('X-Long: part1\r\n part2\r\n')));
    refuses(() => req(h('X-Long: part1\r\n\tpart2\r\n')));
    refuses(() => req(h('X-Long: part1\r\n Content-Length: 5\r\n')));
  });

  test('header names must be tokens: whitespace before the colon, empty names, lines without colon are refused', () => {
    for (const line of ['Host : y', 'Content-Length : 5', 'Bad Name: v', ': empty-name', 'no-colon-here', 'X(y): v', 'Tr\xe4nsfer: v']) {
      refuses(() => req(h(`${line}\r\n`)));
    }
  });

  test('control characters inside the head are refused; HTAB inside a value is allowed', () => {
    for (const bad of ['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f']) {
      refuses(() => req(h(`X-Bad: a${bad}b\r\n`)));
    }
    refuses(() => req(`GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(req(h('X-Tab: a\tb\r\n')).headers[3], 'a\tb');
  });

  test('a bare CR or bare LF inside a header value is refused', () => {
    refuses(() => req(h('X-Bad: a\rb\r\n')));
    refuses(() => req(h('X-Bad: a\nb\r\n')));
    // a bare LF used as a line ending would let another parser see a second header
    refuses(() => req(h('X-Bad: a\nContent-Length: 5\r\n')));
  });

  test('a bare CR, bare LF or NBSP at either end of a header value is refused, not trimmed away', () => {
    refuses(() => req(h('X-Bad: a\r\r\n')));
    refuses(() => req(h('X-Bad: \ra\r\n')));
    refuses(() => req(h('X-Bad: a\n\r\n')));
    refuses(() => req(h('Content-Length: 5\xa0\r\n')));
  });

  test('Connection tokens are collected lower case over repeated headers', () => {
    const r = req(h('Connection: Keep-Alive, Upgrade\r\nUpgrade: websocket\r\nconnection: X-Custom\r\n'));
    assert.ok(hasToken(r.connection, 'keep-alive'));
    assert.ok(hasToken(r.connection, 'upgrade'));
    assert.ok(hasToken(r.connection, 'x-custom'));
    assert.ok(!hasToken(r.connection, 'close'));
    assert.equal(r.upgrade, 'websocket');
  });

  test('Expect: 100-continue is recognised in any case; other expectations are not', () => {
    assert.equal(req(h('Expect: 100-continue\r\n')).expectContinue, true);
    assert.equal(req(h('expect: 100-Continue\r\n')).expectContinue, true);
    assert.equal(req(h('Expect: 200-ok\r\n')).expectContinue, false);
    // Expect stays a normal header in the list (the proxy drops it upstream itself)
    assert.deepEqual(req(h('Expect: 100-continue\r\n')).headers.slice(2), ['Expect', '100-continue']);
  });

  test('the Upgrade value is kept as sent', () => {
    assert.equal(req(h('Connection: upgrade\r\nUpgrade: WebSocket\r\n')).upgrade, 'WebSocket');
    assert.equal(req(h('Upgrade: h2c, websocket\r\n')).upgrade, 'h2c, websocket');
  });
});

describe('hasToken', () => {
  test('finds a token in comma lists with any spacing, never a substring of another token', () => {
    const cases: Array<[string, string, boolean]> = [
      ['', 'close', false],
      ['close', 'close', true],
      ['keep-alive, upgrade', 'upgrade', true],
      ['keep-alive, upgrade', 'keep-alive', true],
      ['keep-alive,upgrade', 'upgrade', true],
      ['  keep-alive  ,  upgrade  ', 'keep-alive', true],
      ['keep-alive, upgrade', 'close', false],
      ['closed', 'close', false],
      ['x-close', 'close', false],
      ['upgrade-insecure', 'upgrade', false],
      ['te, close', 'close', true],
    ];
    for (const [list, token, want] of cases) assert.equal(hasToken(list, token), want, `${JSON.stringify(list)} has ${token}`);
  });
});

describe('findHeadEnd', () => {
  test('a head split across several reads is found once the blank line is complete, wherever the split falls', () => {
    const head = 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n';
    const all = Buffer.from(`${head}abc`, 'latin1');
    const want = Buffer.byteLength(head);
    // Grow the buffer a few bytes at a time like successive socket reads, resuming from the previous length.
    for (const step of [1, 2, 3, 5, 7]) {
      let from = 0;
      let found = -1;
      for (let len = step; len <= all.length && found < 0; len += step) {
        const buf = all.subarray(0, Math.min(len, all.length));
        found = findHeadEnd(buf, from, MAX);
        from = buf.length;
      }
      assert.equal(found, want, `step ${step}`);
    }
  });

  test('-1 while the blank line has not arrived; a lone CRLF is not the end', () => {
    assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'), 0, MAX), -1);
    assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r'), 0, MAX), -1);
    assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 20, MAX), 27);
  });

  test('more than max bytes without a complete head is too-large, as is a complete head past max', () => {
    const max = 64;
    refuses(() => findHeadEnd(Buffer.from(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(100)}`), 0, max), 'too-large');
    refuses(() => findHeadEnd(Buffer.from(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(100)}\r\n\r\n`), 0, max), 'too-large');
    // exactly max bytes is fine
    const exact = `GET / HTTP/1.1\r\nX: ${'a'.repeat(max - 23)}\r\n\r\n`;
    assert.equal(Buffer.byteLength(exact), max);
    assert.equal(findHeadEnd(Buffer.from(exact), 0, max), max);
  });

  test('a small head followed by a large body is not too-large', () => {
    const buf = Buffer.concat([Buffer.from('POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n'), Buffer.alloc(1000, 0x61)]);
    assert.equal(findHeadEnd(buf, 0, 64), 41);
  });
});

describe('parseResponseHead', () => {
  test('status, reason and version', () => {
    const r = res('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual([r.status, r.reason, r.minor, r.contentLength], [404, 'Not Found', 1, 0]);
    const r10 = res('HTTP/1.0 200 OK\r\n\r\n');
    assert.deepEqual([r10.status, r10.minor, r10.contentLength, r10.chunked], [200, 0, -1, false]);
    assert.equal(res('HTTP/1.1 201 Made It So\r\n\r\n').reason, 'Made It So');
  });

  test('a missing reason phrase is accepted as empty (with or without the space)', () => {
    assert.deepEqual([res('HTTP/1.1 204\r\n\r\n').status, res('HTTP/1.1 204\r\n\r\n').reason], [204, '']);
    assert.deepEqual([res('HTTP/1.1 200 \r\n\r\n').status, res('HTTP/1.1 200 \r\n\r\n').reason], [200, '']);
  });

  test('1xx heads parse as their own status (the connection skips them)', () => {
    assert.equal(res('HTTP/1.1 100 Continue\r\n\r\n').status, 100);
    const early = res('HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n');
    assert.deepEqual([early.status, early.relayed], [103, 'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n']);
  });

  test('Transfer-Encoding and Content-Length in a response: chunked wins', () => {
    const r = res('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.deepEqual([r.chunked, r.contentLength], [true, -1]);
  });

  test('Connection: close is seen in the response', () => {
    assert.ok(hasToken(res('HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n').connection, 'close'));
  });

  test('malformed status lines are refused', () => {
    for (const line of ['NOT HTTP', 'HTTP/1.1 20 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.1 099 Low', 'HTTP/2 200 OK', 'HTTP/1.1  200 OK', 'http/1.1 200 OK', 'HTTP/1.1 abc OK']) {
      refuses(() => res(`${line}\r\n\r\n`));
    }
    refuses(() => res('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
  });
});

describe('parseResponseHead: the head relayed to the client', () => {
  test('status line and headers are copied as sent (case, order, spacing), hop-by-hop lines cut wherever they are', () => {
    const r = res('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nKeep-Alive: timeout=5\r\nx-ODD:  spaced \r\n'
      + 'Content-Length: 5\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nProxy-Authenticate: Basic\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n');
    assert.equal(r.relayed, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-ODD:  spaced \r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    assert.deepEqual([r.contentLength, r.connection], [5, 'keep-alive']);
  });

  test('with chunked framing, Transfer-Encoding and every Content-Length are cut (RFC 9112 §6.3)', () => {
    const r = res('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nA: 1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\nB: 2\r\n\r\n');
    assert.equal(r.relayed, 'HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n');
    assert.deepEqual([r.chunked, r.contentLength, r.transferEncoding], [true, -1, 'gzip, chunked']);
  });

  test('fields named in Connection are cut (any case); framing fields it names stay', () => {
    const r = res('HTTP/1.1 200 OK\r\nX-Secret: s\r\nConnection: X-SECRET, x-other, content-length\r\nX-Other: o\r\nX-Kept: k\r\nContent-Length: 0\r\n\r\n');
    assert.equal(r.relayed, 'HTTP/1.1 200 OK\r\nX-Kept: k\r\nContent-Length: 0\r\n');
  });

  test('an HTTP/1.0 status line, or one without the space before the reason, is written as HTTP/1.1', () => {
    assert.equal(res('HTTP/1.0 404 Not Found\r\nA: 1\r\n\r\n').relayed, 'HTTP/1.1 404 Not Found\r\nA: 1\r\n');
    assert.equal(res('HTTP/1.1 204\r\nA: 1\r\n\r\n').relayed, 'HTTP/1.1 204 \r\nA: 1\r\n');
    assert.equal(res('HTTP/1.1 204 \r\n\r\n').relayed, 'HTTP/1.1 204 \r\n');
  });

  test('matches a line-by-line reference on generated heads (names in mixed case, hop-by-hop fields anywhere)', () => {
    const hop = ['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'expect'];
    const plain = ['content-type', 'date', 'x-a', 'etag', 'cache-control', 'set-cookie', 'x-forwarded-for', 'host', 'tee', 'upgrades'];
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const mixCase = (name: string): string => [...name].map((ch) => (rand(2) ? ch.toUpperCase() : ch)).join('');
    for (let round = 0; round < 300; round++) {
      const lines: string[] = [];
      const n = rand(12);
      for (let i = 0; i < n; i++) {
        const name = rand(3) === 0 ? hop[rand(hop.length)]! : plain[rand(plain.length)]!;
        lines.push(`${mixCase(name)}: ${name === 'connection' ? 'keep-alive' : `v${i}`}`);
      }
      const text = `HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
      const expected = `HTTP/1.1 200 OK\r\n${lines.filter((l) => !hop.includes(l.slice(0, l.indexOf(':')).toLowerCase())).map((l) => `${l}\r\n`).join('')}`;
      assert.equal(res(text).relayed, expected, text);
    }
  });

  test('malformed header lines in a response are refused like in a request', () => {
    for (const line of ['X-A: a\x01b', 'X-A: a\nb', 'X-A: a\rb', ' folded: x', 'X-A : a', 'X(A): a', ': no-name', 'no-colon', 'X-A: a\x7f']) {
      refuses(() => res(`HTTP/1.1 200 OK\r\n${line}\r\n\r\n`));
    }
    refuses(() => res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'));
    refuses(() => res('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'));
  });
});

// ---- ChunkedScanner ----

/** A chunked body with an extension and two trailers, and its payload. */
const PAYLOAD = 'hello, world! ' + 'x'.repeat(300);
const CHUNKED = `5;name=value\r\nhello\r\n9;a;b="q"\r\n, world! \r\n${(300).toString(16)}\r\n${'x'.repeat(300)}\r\n0\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n`;

describe('ChunkedScanner', () => {
  test('a whole message in one buffer: end offset, data bytes and onData payload', () => {
    const seen: Buffer[] = [];
    const s = new ChunkedScanner((c) => seen.push(Buffer.from(c)));
    const buf = Buffer.from(CHUNKED, 'latin1');
    assert.equal(s.push(buf), buf.length);
    assert.equal(s.dataBytes, PAYLOAD.length);
    assert.equal(Buffer.concat(seen).toString('latin1'), PAYLOAD);
  });

  test('the same message fed one byte at a time ends at the same place with the same data', () => {
    const seen: Buffer[] = [];
    const s = new ChunkedScanner((c) => seen.push(Buffer.from(c)));
    const buf = Buffer.from(CHUNKED, 'latin1');
    let endAt = -1;
    for (let i = 0; i < buf.length; i++) {
      const e = s.push(buf.subarray(i, i + 1));
      if (e >= 0) {
        assert.equal(endAt, -1, 'ended twice');
        assert.equal(e, 1);
        endAt = i + e;
      }
    }
    assert.equal(endAt, buf.length);
    assert.equal(s.dataBytes, PAYLOAD.length);
    assert.equal(Buffer.concat(seen).toString('latin1'), PAYLOAD);
  });

  test('every split point of the message gives the same end and data', () => {
    const buf = Buffer.from(CHUNKED, 'latin1');
    for (let cut = 1; cut < buf.length; cut += 7) {
      const seen: Buffer[] = [];
      const s = new ChunkedScanner((c) => seen.push(Buffer.from(c)));
      assert.equal(s.push(buf.subarray(0, cut)), -1, `cut ${cut}`);
      assert.equal(s.push(buf.subarray(cut)), buf.length - cut, `cut ${cut}`);
      assert.equal(Buffer.concat(seen).toString('latin1'), PAYLOAD, `cut ${cut}`);
    }
  });

  test('the end offset falls inside a buffer that also holds the next message; push honours start', () => {
    const first = 'a\r\n0123456789\r\n0\r\n\r\n';
    const next = 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n';
    const prefix = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const buf = Buffer.from(prefix + first + next, 'latin1');
    const s = new ChunkedScanner();
    const end = s.push(buf, prefix.length);
    assert.equal(end, prefix.length + first.length);
    assert.equal(buf.subarray(end).toString('latin1'), next);
    assert.equal(s.dataBytes, 10);
  });

  test('hex sizes in both cases, leading zeros, and an empty body', () => {
    const s = new ChunkedScanner();
    const body = `A\r\n${'a'.repeat(10)}\r\nf\r\n${'b'.repeat(15)}\r\n0010\r\n${'c'.repeat(16)}\r\n0\r\n\r\n`;
    assert.equal(s.push(Buffer.from(body)), body.length);
    assert.equal(s.dataBytes, 41);
    const empty = new ChunkedScanner(() => assert.fail('no data expected'));
    assert.equal(empty.push(Buffer.from('0\r\n\r\n')), 5);
    assert.equal(empty.dataBytes, 0);
  });

  test('trailers are consumed (not data) and the message ends after the blank line', () => {
    const seen: Buffer[] = [];
    const s = new ChunkedScanner((c) => seen.push(Buffer.from(c)));
    const body = '3\r\nabc\r\n0\r\nX-Checksum: 123\r\n\r\nNEXT';
    assert.equal(s.push(Buffer.from(body)), body.length - 4);
    assert.equal(Buffer.concat(seen).toString(), 'abc');
  });

  test('invalid framing is refused with HeadError', () => {
    const cases = [
      'g\r\nabc\r\n0\r\n\r\n', // not hex
      '-1\r\n', // sign
      ' 3\r\nabc\r\n0\r\n\r\n', // leading space
      '\r\n', // no size digits
      ';ext\r\n', // extension without size
      '3\r\nabcd\r\n0\r\n\r\n', // more data than the size
      '3\r\nabc0\r\n\r\n', // missing CRLF after data
      '3\r\nabc\rX', // CR without LF after data
      '3\nabc\r\n', // size line ended by a bare LF
      '3;ext\nabc\r\n', // bare LF in an extension
      '0\r\nX-T: 1\nY: 2\r\n\r\n', // bare LF in a trailer
      `${'1'.repeat(13)}\r\n`, // too many size digits
    ];
    for (const c of cases) {
      const s = new ChunkedScanner();
      assert.throws(() => s.push(Buffer.from(c, 'latin1')), (e: unknown) => e instanceof HeadError && e.problem === 'bad-request', JSON.stringify(c));
    }
  });

  test('oversized size digits are refused even when split across pushes', () => {
    const s = new ChunkedScanner();
    assert.equal(s.push(Buffer.from('ffffff')), -1);
    assert.throws(() => s.push(Buffer.from('fffffff\r\n')), HeadError);
  });

  test('with a keeper, the framing is handed on without extensions and trailer fields, wherever the reads split it', () => {
    const stripped = `5\r\nhello\r\n9\r\n, world! \r\n${(300).toString(16)}\r\n${'x'.repeat(300)}\r\n0\r\n\r\n`;
    const buf = Buffer.from(CHUNKED, 'latin1');
    for (let step = 1; step <= buf.length; step = step < 8 ? step + 1 : step * 2) {
      const kept: string[] = [];
      const s = new ChunkedScanner(undefined, Infinity, { kept: (b, from, to) => kept.push(b.toString('latin1', from, to)) });
      let end = -1;
      for (let i = 0; i < buf.length && end < 0; i += step) {
        const e = s.push(buf.subarray(i, i + step));
        if (e >= 0) end = i + e;
      }
      assert.equal(end, buf.length, `step ${step}`);
      assert.equal(kept.join(''), stripped, `step ${step}`);
    }
  });

  test('a declared chunk size past maxData is too-large before its data; overlong extensions and trailer sections are refused', () => {
    const s = new ChunkedScanner(undefined, 100);
    assert.equal(s.push(Buffer.from('32\r\n' + 'a'.repeat(50) + '\r\n')), -1);
    assert.throws(() => s.push(Buffer.from('33\r\n')), (e: unknown) => e instanceof HeadError && e.problem === 'too-large');
    assert.throws(() => new ChunkedScanner().push(Buffer.from(`1;${'e'.repeat(5000)}\r\n`)), HeadError);
    assert.throws(() => new ChunkedScanner().push(Buffer.from(`0\r\n${'X-T: 1\r\n'.repeat(3000)}\r\n`)), HeadError);
  });

  test('onData receives exactly the data bytes of a binary body, none of the framing', () => {
    const payload = Buffer.alloc(5000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const parts: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 1234) {
      const p = payload.subarray(i, i + 1234);
      parts.push(Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    const wire = Buffer.concat(parts);
    const seen: Buffer[] = [];
    const s = new ChunkedScanner((c) => seen.push(Buffer.from(c)));
    // odd-sized reads so chunk boundaries and read boundaries never line up
    let end = -1;
    for (let i = 0; i < wire.length && end < 0; i += 333) {
      const e = s.push(wire.subarray(i, i + 333));
      if (e >= 0) end = i + e;
    }
    assert.equal(end, wire.length);
    assert.ok(Buffer.concat(seen).equals(payload));
    assert.equal(s.dataBytes, payload.length);
  });
});
