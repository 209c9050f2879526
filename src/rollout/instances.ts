/**
 * Pure helpers over the runtime's instances: what the planner observes, which
 * instances to start and which to remove to reach the desired scale.
 */
import type { UpstreamInstance } from '../proxy/contract.ts';
import type { ManagedInstance, RoutesState } from './interfaces.ts';
import type { Desired, ObservedRevision } from './state.ts';

/** A crash-looped (failed) instance is replaced after this long, unless its revision is failing anyway. */
export const FAILED_REPLACE_MS = 5_000;

/** Instances that count: not stopping, not being removed. */
export function liveInstances(all: ManagedInstance[], removing: ReadonlySet<string>): ManagedInstance[] {
  return all.filter((i) => !removing.has(i.id) && i.state !== 'stopping' && i.state !== 'stopped');
}

export function observeRevisions(live: ManagedInstance[]): Record<number, ObservedRevision> {
  const out: Record<number, ObservedRevision> = {};
  for (const i of live) {
    const rev = i.record.revision;
    const o = (out[rev] ??= { running: 0, ready: 0, crashLoop: false });
    o.running++;
    if (i.ready) o.ready++;
    if (i.crashLoop) o.crashLoop = true;
  }
  return out;
}

/**
 * Instances to remove: those of revisions scaled below what runs (unready
 * first, then the newest), plus failed ones past FAILED_REPLACE_MS so they
 * can be replaced.
 */
export function pickRemovals(live: ManagedInstance[], scale: Desired['scale'], now: number): ManagedInstance[] {
  const out: ManagedInstance[] = [];
  const byRev = new Map<number, ManagedInstance[]>();
  for (const i of live) byRev.set(i.record.revision, [...(byRev.get(i.record.revision) ?? []), i]);
  for (const [rev, list] of byRev) {
    const dead = list.filter((i) => i.state === 'failed' && now - (i.lastFailure?.at ?? 0) > FAILED_REPLACE_MS);
    const rest = list.filter((i) => !dead.includes(i));
    out.push(...dead, ...pickFrom(rest, Math.max(0, rest.length - (scale[rev] ?? 0))));
  }
  return out;
}

/**
 * `count` of one revision's instances to stop: those not ready first, then from the host that runs the most of them
 * (with `hosts:`, scaling down keeps each host's share even), then the newest.
 */
function pickFrom(list: ManagedInstance[], count: number): ManagedInstance[] {
  const perHost = new Map<string, number>();
  for (const i of list) perHost.set(i.record.host, (perHost.get(i.record.host) ?? 0) + 1);
  const left = [...list];
  const out: ManagedInstance[] = [];
  while (out.length < count) {
    left.sort((a, b) => Number(a.ready) - Number(b.ready) || perHost.get(b.record.host)! - perHost.get(a.record.host)! || b.record.startedAt - a.record.startedAt);
    const next = left.shift()!;
    perHost.set(next.record.host, perHost.get(next.record.host)! - 1);
    out.push(next);
  }
  return out;
}

/** How many instances to start per revision, given those left after removals. */
export function toStart(live: ManagedInstance[], removals: ManagedInstance[], scale: Desired['scale']): [number, number][] {
  const out: [number, number][] = [];
  for (const [rev, want] of Object.entries(scale)) {
    const have = live.filter((i) => i.record.revision === Number(rev) && !removals.includes(i)).length;
    if (want > have) out.push([Number(rev), want - have]);
  }
  return out;
}

/** Ready instances per revision as the proxy sees them. */
export function readyUpstreams(all: ManagedInstance[], removing: ReadonlySet<string>): Record<number, UpstreamInstance[]> {
  const out: Record<number, UpstreamInstance[]> = {};
  for (const i of all) {
    if (!i.ready || removing.has(i.id) || i.state !== 'ready') continue;
    (out[i.record.revision] ??= []).push({ id: i.id, host: i.record.host, port: i.record.port, ready: true });
  }
  return out;
}

/** One instance at one address: a restart in place keeps the id but may change the port. */
export function upstreamKey(u: Pick<UpstreamInstance, 'id' | 'host' | 'port'>): string {
  return `${u.id}@${u.host}:${u.port}`;
}

/** upstreamKey of every instance a route table sends traffic to (marked ready). */
export function routedUpstreams(routes: RoutesState): Set<string> {
  const out = new Set<string>();
  for (const svc of routes.services) {
    for (const rev of svc.revisions) for (const u of rev.instances) if (u.ready !== false) out.add(upstreamKey(u));
  }
  return out;
}
