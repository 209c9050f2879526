/** Small display helpers shared by the views. */
import type { Phase } from '../../src/rollout/types.ts';

export const PHASE_HINT: Record<Phase, string> = {
  Healthy: 'all traffic on the stable revision, every instance ready',
  Progressing: 'a rollout is moving through its steps',
  Paused: 'a rollout waits: a pause step or a manual pause',
  Degraded: 'the last rollout was aborted or failed; traffic is on stable',
};

export function percent(n: number, digits = 0): string {
  return `${n.toFixed(digits)}%`;
}

export function rate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** Date and time, for what may be days old (flag changes). */
export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString([], { hour12: false, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The stable palette of revision colours (by revision number), readable on white. */
const COLOURS = ['#1f6feb', '#c2410c', '#7c3aed', '#0f766e', '#b91c1c', '#a16207'];
export function revisionColour(n: number): string {
  return COLOURS[(n - 1) % COLOURS.length]!;
}
