import type { CompiledFlagRule, CompiledRevision, CompiledService } from './route-table.ts';
import type { Upstream } from './upstream.ts';
import { cookieValue, headerValue } from './headers.ts';
import { userPoint } from './experiment/experiment-routing.ts';

/** The revision a match rule pins this request to (blue-green preview, header canary), if any. */
export function ruleRevision(svc: CompiledService, headers: string[]): CompiledRevision | undefined {
  for (const rule of svc.rules) {
    if (rule.header && headerValue(headers, rule.header.name) !== rule.header.value) continue;
    if (rule.cookie && cookieValue(headerValue(headers, 'cookie'), rule.cookie.name) !== rule.cookie.value) continue;
    if (rule.flag && !flagMatches(rule.flag, headers)) continue;
    return rule.revision;
  }
  return undefined;
}

/** The user (header or cookie) gets the flag on, or the rule's variant: evaluated as Unleash's SDKs would. */
function flagMatches(f: CompiledFlagRule, headers: string[]): boolean {
  const userId = f.header ? headerValue(headers, f.header) : cookieValue(headerValue(headers, 'cookie'), f.cookie!);
  if (!userId) return false;
  if (f.variant === undefined) return f.evaluator.isEnabled(f.name, { userId });
  const v = f.evaluator.getVariant(f.name, { userId });
  return v.enabled && v.name === f.variant;
}

/**
 * Weighted choice by basis points; with stickyBy, the key's hash gives a stable point on the ring; an experiment's
 * user (`userKey`) gets the point of their murmur3 hash.
 */
export function weightedRevision(svc: CompiledService, headers: string[], userKey?: string): CompiledRevision | undefined {
  if (svc.totalWeightBp === 0) return undefined;
  let point = userKey === undefined ? -1 : userPoint(svc.name, userKey, svc.totalWeightBp);
  const sticky = svc.spec.stickyBy;
  if (sticky && point < 0) {
    const key = svc.stickyHeader
      ? headerValue(headers, svc.stickyHeader)
      : sticky.cookie ? cookieValue(headerValue(headers, 'cookie'), sticky.cookie) : undefined;
    if (key) point = fnv1a(key) % svc.totalWeightBp;
  }
  if (point < 0) point = Math.floor(Math.random() * svc.totalWeightBp);
  const cum = svc.cumulative;
  for (let i = 0; i < cum.length; i++) if (point < cum[i]!) return svc.weighted[i];
  return svc.weighted[svc.weighted.length - 1];
}

/**
 * Least outstanding requests among available instances, round-robin on ties
 * (the scan starts one further each time). `tried` instances are skipped.
 */
export function pickUpstream(rev: CompiledRevision, tried: readonly Upstream[] | null): Upstream | undefined {
  const list = rev.upstreams;
  const n = list.length;
  if (n === 0) return undefined;
  const start = rev.rr++ % n;
  if (rev.rr > 1e9) rev.rr = 0;
  let best: Upstream | undefined;
  for (let k = 0; k < n; k++) {
    const u = list[(start + k) % n]!;
    if (!u.available || (tried !== null && tried.includes(u))) continue;
    if (best === undefined || u.window.inflight < best.window.inflight) best = u;
  }
  return best;
}

/** Where a request goes: a matching rule pins a revision; otherwise stickiness or weights choose one. */
export function chooseRevision(svc: CompiledService, headers: string[], userKey?: string): { pinned: CompiledRevision | undefined; rev: CompiledRevision | undefined } {
  const pinned = svc.rules.length > 0 ? ruleRevision(svc, headers) : undefined;
  return { pinned, rev: pinned ?? weightedRevision(svc, headers, userKey) };
}

/**
 * An available instance of `rev`, or, when the request is not pinned by a rule, of another weighted revision (so
 * a revision whose instances are all busy being replaced does not fail requests another revision can serve).
 */
export function chooseUpstream(svc: CompiledService, rev: CompiledRevision | undefined, pinned: boolean, tried: readonly Upstream[] | null): { rev: CompiledRevision; u: Upstream } | undefined {
  const u = rev ? pickUpstream(rev, tried) : undefined;
  if (u !== undefined) return { rev: rev!, u };
  return pinned ? undefined : fallbackUpstream(svc, rev, tried);
}

/** Another weighted revision with an available instance (used when the chosen one has none). */
export function fallbackUpstream(svc: CompiledService, except: CompiledRevision | undefined, tried: readonly Upstream[] | null): { rev: CompiledRevision; u: Upstream } | undefined {
  for (const rev of svc.weighted) {
    if (rev === except) continue;
    const u = pickUpstream(rev, tried);
    if (u) return { rev, u };
  }
  return undefined;
}

/** FNV-1a, 32 bit: fast, stable across processes and restarts. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
