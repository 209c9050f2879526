// Dashboard sessions and one-time login codes over an injected clock: what is accepted, for how long, and once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOGIN_CODE_TTL_MS, SESSION_TTL_MS, Sessions, cookieValue } from '../../src/api/session.ts';

function clock(start = 1_000_000) {
  const c = { now: start };
  return { c, now: () => c.now };
}

test('a session cookie is valid until its expiry, for its role, and never after edits or logout', () => {
  const { c, now } = clock();
  const sessions = new Sessions('admin-token', now);
  const { session, cookie } = sessions.issue('viewer');
  assert.deepEqual(sessions.verify(cookie), session);
  const [role, expires, id, sig] = cookie.split('.') as [string, string, string, string];
  for (const forged of [`admin.${expires}.${id}.${sig}`, `${role}.${Number(expires) + 1}.${id}.${sig}`, `${role}.${expires}.${id}x.${sig}`, `${role}.${expires}.${id}`, '', 'a.b.c.d.e']) {
    assert.equal(sessions.verify(forged), undefined, forged);
  }
  assert.equal(new Sessions('other-token', now).verify(cookie), undefined, 'another token signs differently');
  c.now += SESSION_TTL_MS - 1;
  assert.ok(sessions.verify(cookie));
  c.now += 1;
  assert.equal(sessions.verify(cookie), undefined, 'expired');

  const second = sessions.issue('admin');
  sessions.revoke(second.session);
  assert.equal(sessions.verify(second.cookie), undefined, 'logged out');
});

test('the CSRF token belongs to one session', () => {
  const sessions = new Sessions('admin-token');
  const a = sessions.issue('admin').session;
  const b = sessions.issue('admin').session;
  assert.ok(sessions.csrfMatches(a, sessions.csrfToken(a)));
  assert.equal(sessions.csrfMatches(a, sessions.csrfToken(b)), false);
  assert.equal(sessions.csrfMatches(a, undefined), false);
  assert.equal(sessions.csrfMatches(a, ''), false);
});

test('a login code works once, within its lifetime, for the role it was made for', () => {
  const { c, now } = clock();
  const sessions = new Sessions('admin-token', now);
  const viewer = sessions.loginCode('viewer');
  assert.equal(viewer.expiresAt, c.now + LOGIN_CODE_TTL_MS);
  assert.equal(sessions.redeem(viewer.code), 'viewer');
  assert.equal(sessions.redeem(viewer.code), undefined, 'used');
  const late = sessions.loginCode('admin');
  c.now += LOGIN_CODE_TTL_MS;
  assert.equal(sessions.redeem(late.code), undefined, 'expired');
  assert.equal(sessions.redeem('made-up'), undefined);
});

test('cookieValue finds one cookie among others', () => {
  assert.equal(cookieValue('a=1; cutover_session=x.y; b=2', 'cutover_session'), 'x.y');
  assert.equal(cookieValue('xcutover_session=1', 'cutover_session'), undefined);
  assert.equal(cookieValue(undefined, 'cutover_session'), undefined);
});

test('rotating the viewer token ends viewer sessions; admin sessions go on', () => {
  const before = new Sessions('admin-token', Date.now, 'viewer-1');
  const viewer = before.issue('viewer').cookie;
  const admin = before.issue('admin').cookie;
  assert.equal(before.verify(viewer)?.role, 'viewer');
  const after = new Sessions('admin-token', Date.now, 'viewer-2');
  assert.equal(after.verify(viewer), undefined, 'a viewer session of the old viewer token');
  assert.equal(after.verify(admin)?.role, 'admin');
});
