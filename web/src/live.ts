/**
 * Live state from `GET /api/v1/stream` (server-sent events): a snapshot on
 * connect, a tick each second, one message per rollout event. EventSource
 * reconnects by itself; when the stream ends for good (the controller was
 * down long enough, or answered an error) it is opened again every 2 s. Data
 * older than 3 s is flagged stale. Flags come the same way: in the snapshot,
 * then a `flags` message after each change.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, type FlagChangeAnswer, type FlagEvent, type FlagsUpdate, type InstanceStatus, type RolloutEvent, type RolloutStatus, type TrafficSample } from './api.ts';

export interface LiveState {
  status: RolloutStatus[];
  instances: InstanceStatus[];
  events: RolloutEvent[];
  /** Per service, oldest first, at most 15 minutes. */
  samples: Record<string, TrafficSample[]>;
  /** Every flag and the flag changes seen (oldest first); null: the API serves no flags; undefined: no snapshot yet. */
  flags: FlagsUpdate | null | undefined;
  /** When the last message arrived (ms); 0 before the first. */
  lastMessageAt: number;
  stale: boolean;
}

export const STALE_AFTER_MS = 3000;
const MAX_SAMPLES = 900;
const MAX_EVENTS = 200;
const MAX_FLAG_EVENTS = 500;

let state: LiveState = { status: [], instances: [], events: [], samples: {}, flags: undefined, lastMessageAt: 0, stale: true };
const listeners = new Set<(s: LiveState) => void>();
let source: EventSource | undefined;
let staleTimer: number | undefined;

function set(patch: Partial<LiveState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

interface Snapshot {
  time: number;
  status: RolloutStatus[];
  instances: InstanceStatus[];
  events: RolloutEvent[];
  /** Absent from an older controller: treated as "no flags". */
  flags?: FlagsUpdate | null;
}

/** Known flag events plus new ones: each once, oldest first, the newest MAX_FLAG_EVENTS. */
function mergeFlagEvents(known: FlagEvent[], added: FlagEvent[]): FlagEvent[] {
  const ids = new Set(known.map((e) => e.id));
  return [...known, ...added.filter((e) => !ids.has(e.id))].sort((a, b) => a.id - b.id).slice(-MAX_FLAG_EVENTS);
}

/** A change this page made: shown at once, before the stream's next flags message confirms it. */
export function noteFlagChange(answer: FlagChangeAnswer): void {
  const current = state.flags;
  if (!current) return;
  const changed = answer.flag;
  const flags = changed
    ? current.flags.map((f) => (f.name === changed.name ? { ...changed, ...(f.managedBy ? { managedBy: f.managedBy } : {}), updatedAt: answer.events.at(-1)?.time ?? f.updatedAt } : f))
    : current.flags;
  set({ flags: { ...current, flags, events: mergeFlagEvents(current.events, answer.events) } });
}

interface Tick {
  time: number;
  status: RolloutStatus[];
  instances: InstanceStatus[];
  samples: Record<string, TrafficSample>;
}

async function loadHistory(services: string[]): Promise<void> {
  for (const service of services) {
    try {
      const samples = await call<TrafficSample[]>('GET', `/api/v1/stats?service=${encodeURIComponent(service)}`);
      // Keep what ticks added meanwhile.
      const newer = (state.samples[service] ?? []).filter((s) => s.time > (samples.at(-1)?.time ?? 0));
      set({ samples: { ...state.samples, [service]: [...samples, ...newer].slice(-MAX_SAMPLES) } });
    } catch {
      /* the charts start empty; ticks fill them */
    }
  }
}

function open(): void {
  source?.close();
  const es = new EventSource('/api/v1/stream');
  source = es;
  es.addEventListener('snapshot', (m) => {
    const snap = JSON.parse((m as MessageEvent<string>).data) as Snapshot;
    set({ status: snap.status, instances: snap.instances, events: snap.events.slice(-MAX_EVENTS), flags: snap.flags ?? null, lastMessageAt: Date.now(), stale: false });
    void loadHistory(snap.status.map((s) => s.service));
  });
  es.addEventListener('tick', (m) => {
    const tick = JSON.parse((m as MessageEvent<string>).data) as Tick;
    const samples = { ...state.samples };
    for (const [service, sample] of Object.entries(tick.samples)) samples[service] = [...(samples[service] ?? []), sample].slice(-MAX_SAMPLES);
    set({ status: tick.status, instances: tick.instances, samples, lastMessageAt: Date.now(), stale: false });
  });
  es.addEventListener('event', (m) => {
    const ev = JSON.parse((m as MessageEvent<string>).data) as RolloutEvent;
    if (state.events.some((e) => e.id === ev.id)) return;
    set({ events: [...state.events, ev].slice(-MAX_EVENTS) });
  });
  es.addEventListener('flags', (m) => {
    const update = JSON.parse((m as MessageEvent<string>).data) as FlagsUpdate;
    set({ flags: { revision: update.revision, flags: update.flags, events: mergeFlagEvents(state.flags?.events ?? [], update.events) } });
  });
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.CLOSED || source !== es) return;
    // The stream was refused (not merely cut): a session that ended shows the login; anything else is retried.
    window.setTimeout(() => {
      if (source !== es) return;
      call('GET', '/api/v1/session').then(
        () => source === es && open(),
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 401) for (const l of sessionEnded) l();
          else if (source === es) open();
        },
      );
    }, 2000);
  });
}

const sessionEnded = new Set<() => void>();

/** Called when the stream is refused because the session ended (expired, logged out elsewhere, token rotated). */
export function onSessionEnded(listener: () => void): () => void {
  sessionEnded.add(listener);
  return () => void sessionEnded.delete(listener);
}

/** Opens the stream (once) and follows it; returns the live state. */
export function useLive(): LiveState {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    if (!source) open();
    staleTimer ??= window.setInterval(() => {
      const stale = state.lastMessageAt === 0 || Date.now() - state.lastMessageAt > STALE_AFTER_MS;
      if (stale !== state.stale) set({ stale });
    }, 500);
    return () => {
      listeners.delete(setS);
    };
  }, []);
  return s;
}

export function closeLive(): void {
  source?.close();
  source = undefined;
}
