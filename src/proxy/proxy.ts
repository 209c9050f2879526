import type { Socket } from 'node:net';
import type { CertificateInfo, DrainResult, RoutesState, ServiceStats } from './contract.ts';
import { resolveOptions, type ProxyOptions } from './options.ts';
import { compileTable, matchRoute, type CompiledRevision, type CompiledService, type CompiledTable } from './route-table.ts';
import { InstanceRegistry } from './instance-registry.ts';
import { Exchange, type ExchangeHost } from './exchange.ts';
import { forwardHead } from './headers.ts';
import { RequestQueue } from './request-queue.ts';
import { ListenerSet, type ListenerAddress } from './listener-set.ts';
import { WebSocketRelay, rawReply } from './websocket.ts';
import { userKey } from './experiment/experiment-routing.ts';
import { chooseRevision, chooseUpstream, pickUpstream } from './load-balancer.ts';
import { collectStats, PrometheusMetrics } from './metrics.ts';
import type { Upstream } from './upstream.ts';
import type { ClientConnection } from './http1/client-connection.ts';
import type { RequestHead } from './http1/head-parser.ts';
import { UPSTREAM_IDLE_MS, type ResponseHandler } from './http1/upstream-connection.ts';
import { Sweeper, sweepInterval } from './http1/sweeper.ts';
import { MirrorSession, mirrorSignature } from './shadow/mirror-session.ts';
import { MirrorTap } from './shadow/mirror-tap.ts';
import { ExperimentCounter } from './experiment/experiment-counter.ts';
import { silentLogger, type Logger } from '../shared/log.ts';

export type { ListenerAddress, RoutesState };

/** The data plane, in process. The admin server and `cutover up` drive it through this. */
export interface Proxy {
  /**
   * Full desired state: opens/closes listeners and swaps the route table atomically. The state is trusted as typed:
   * what comes from outside the process is validated where it enters (admin server, table and config files).
   */
  apply(state: RoutesState): Promise<void>;
  routes(): RoutesState;
  /** Readiness from outside; false when no instance has this id. */
  setReady(id: string, ready: boolean): boolean;
  /** Stops new requests to the instance, resolves when in-flight work ends or is cut at the timeout. */
  drain(id: string, timeoutMs: number): Promise<DrainResult>;
  stats(): ServiceStats[];
  /** The certificates the HTTPS listeners serve now (after reloads): public facts, never key material. */
  certificates(): CertificateInfo[];
  metricsText(): Promise<string>;
  addresses(): ListenerAddress[];
  /** Stops accepting and lets in-flight work finish, for `timeoutMs` (default: the longest drainTimeoutMs of the services, else 10 s). */
  close(timeoutMs?: number): Promise<void>;
}

export interface CreateProxyOptions extends Partial<ProxyOptions> {
  /** How long a removed listener waits for in-flight requests before cutting them. */
  listenerDrainMs?: number;
}

export function createProxy(opts: CreateProxyOptions = {}): Proxy {
  return new ProxyServer(opts);
}

const DEFAULT_SHUTDOWN_DRAIN_MS = 10_000;

function shutdownDrainMs(state: RoutesState): number {
  const own = state.services.flatMap((s) => (s.drainTimeoutMs === undefined ? [] : [s.drainTimeoutMs]));
  return own.length > 0 ? Math.max(...own) : DEFAULT_SHUTDOWN_DRAIN_MS;
}

const EMPTY: CompiledTable = { version: 0, listeners: new Map(), services: new Map() };

/** Mirrored requests: response read and dropped, errors ignored. One shared handler. */
const DISCARD: ResponseHandler = {
  onConnect() {},
  onHeaders() {},
  onData: () => true,
  onFlush() {},
  onComplete() {},
  onError() {},
};

class ProxyServer implements Proxy, ExchangeHost {
  readonly opts: ProxyOptions;
  private current: CompiledTable = EMPTY;
  private state: RoutesState = { listeners: [], services: [] };
  private readonly registry: InstanceRegistry;
  private readonly queue: RequestQueue;
  private readonly listeners: ListenerSet;
  private readonly relay = new WebSocketRelay();
  private readonly prom: PrometheusMetrics;
  private readonly log: Logger;
  private readonly sweeper: Sweeper;
  private applying: Promise<void> = Promise.resolve();
  private mirrors = new Map<string, MirrorSession>();
  private experiments = new Map<string, ExperimentCounter>();

  constructor(o: CreateProxyOptions) {
    this.opts = resolveOptions(o);
    this.log = o.logger ?? silentLogger;
    const kick = (): void => this.queue.kick(this.current);
    const t = this.opts;
    this.sweeper = new Sweeper(sweepInterval(t.headersTimeoutMs, t.requestTimeoutMs, t.keepAliveTimeoutMs, t.responseTimeoutMs, t.bodyIdleTimeoutMs, UPSTREAM_IDLE_MS));
    this.registry = new InstanceRegistry({ connectTimeoutMs: t.connectTimeoutMs, connections: t.connectionsPerInstance, sweeper: this.sweeper }, t.ejectionMs, kick);
    this.queue = new RequestQueue(t.maxQueue, t.queueTimeoutMs);
    this.listeners = new ListenerSet(this.opts, this.log, o.listenerDrainMs ?? 30_000, {
      sweeper: this.sweeper,
      request: (conn, head, key) => this.onRequest(conn, head, key),
      upgrade: (conn, head, socket, rest, key) => this.onUpgrade(conn, head, socket, rest, key),
    });
    this.prom = new PrometheusMetrics(() => this.current);
  }

  table(): CompiledTable {
    return this.current;
  }

  apply(state: RoutesState): Promise<void> {
    // Serialised so two PUTs never interleave their listener changes.
    const run = this.applying.then(() => this.applyNow(state));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(state: RoutesState): Promise<void> {
    await this.listeners.openMissing(state.listeners);
    const upstreams = this.registry.sync(state.services);
    const table = compileTable(this.current.version + 1, state.listeners, state.services, upstreams, (s, r) => this.registry.revisionWindow(s, r));
    this.keepSessions(state);
    this.current = table; // the atomic swap: every request reads this reference once
    this.state = structuredClone(state);
    this.listeners.closeExtra(state.listeners);
    this.queue.kick(table);
    this.log.info({ version: table.version, services: state.services.length }, 'route table applied');
  }

  /** Comparison and experiment counts go on across table swaps while the service's mirror or variants stay the same. */
  private keepSessions(state: RoutesState): void {
    const mirrors = new Map<string, MirrorSession>();
    const experiments = new Map<string, ExperimentCounter>();
    for (const svc of state.services) {
      if (svc.mirror?.compare) {
        const sig = mirrorSignature(svc.mirror);
        const old = this.mirrors.get(svc.name);
        mirrors.set(svc.name, old?.signature === sig ? old : new MirrorSession(sig, svc.mirror));
      }
      if (svc.experiment) {
        const sig = JSON.stringify(svc.experiment.variants);
        const old = this.experiments.get(svc.name);
        experiments.set(svc.name, old?.signature === sig ? old : new ExperimentCounter(sig));
      }
    }
    this.mirrors = mirrors;
    this.experiments = experiments;
  }

  routes(): RoutesState {
    return structuredClone(this.state);
  }

  setReady(id: string, ready: boolean): boolean {
    const u = this.registry.find(id);
    if (!u) return false;
    u.ready = ready;
    if (ready) {
      u.undrain();
      this.queue.kick(this.current);
    }
    return true;
  }

  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    const u = this.registry.find(id);
    if (!u) return Promise.resolve({ drained: true, cut: 0 });
    return u.drain(timeoutMs);
  }

  stats(): ServiceStats[] {
    const table = this.current;
    return collectStats(table).map((s) => {
      const session = this.mirrors.get(s.service);
      const counter = this.experiments.get(s.service);
      const e = table.services.get(s.service)?.experiment;
      return { ...s, ...(session ? { mirror: session.store.snapshot() } : {}), ...(counter && e ? { experiment: counter.snapshot(e) } : {}) };
    });
  }

  certificates(): CertificateInfo[] {
    return this.listeners.certificates();
  }

  metricsText(): Promise<string> {
    return this.prom.text();
  }

  addresses(): ListenerAddress[] {
    return this.listeners.addresses();
  }

  async close(timeoutMs = shutdownDrainMs(this.state)): Promise<void> {
    // WebSockets first: their sockets keep a listener open until they end, and clients should get 1012 at once.
    this.relay.close();
    const closing = this.listeners.closeAll(timeoutMs);
    this.queue.flush(); // requests waiting for an instance get their 503 now, not a reset at the timeout
    await closing;
    await this.registry.close();
  }

  // ---- ExchangeHost ----

  eject(u: Upstream, rev: CompiledRevision, reason: 'connect' | '5xx'): void {
    // Like Envoy's max ejection percent: 5xx never ejects a revision's last instance.
    if (reason === '5xx' && !rev.upstreams.some((o) => o !== u && o.available)) return;
    this.registry.eject(u);
    this.log.warn({ instance: u.id, reason }, 'instance ejected');
  }

  enqueue(ex: Exchange): boolean {
    return this.queue.add(ex);
  }

  dequeue(ex: Exchange): void {
    this.queue.remove(ex);
  }

  mirror(svc: CompiledService, ex: Exchange): MirrorTap | null {
    const m = svc.spec.mirror!;
    if (svc.mirrorMethods !== null && !svc.mirrorMethods.has(ex.req.method)) return null;
    if (Math.random() * 100 >= m.percent) return null;
    const session = this.mirrors.get(svc.name);
    const shadow = svc.mirrorRevision;
    const u = shadow && pickUpstream(shadow, null);
    // Only replayable requests reach here (no body or a buffered one); a copy is never queued.
    if (!u || !shadow || (session && session.inFlight >= session.maxInFlight)) {
      session?.store.dropped();
      return null;
    }
    if (!session) {
      u.pool.dispatch(ex.outgoing(), DISCARD);
      return null;
    }
    session.inFlight++;
    session.store.mirrored();
    const tap = new MirrorTap(session, `${ex.req.method} ${ex.req.target}`, shadow);
    u.pool.dispatch(ex.outgoing(), tap);
    return tap;
  }

  experimentDone(svc: CompiledService, rev: CompiledRevision, user: string, method: string, target: string, status: number, failed: boolean): void {
    this.experiments.get(svc.name)?.record(svc.experiment!, rev.name, user, method, target, status, failed);
  }


  // ---- listeners ----

  private onRequest(conn: ClientConnection, req: RequestHead, key: string): void {
    if (req.target.charCodeAt(0) !== 47 /* / */) return conn.respond(400, 'only origin-form request targets ("/path") are accepted');
    const table = this.current;
    const fwd = forwardHead(req, conn.remoteAddress, conn.proto, conn.trustForwarded);
    const routes = table.listeners.get(key);
    const svc = routes && matchRoute(routes, fwd.hostname, req.target);
    if (!svc) return conn.respond(404, `no service for host "${fwd.hostname}" and path "${req.target}"`);
    new Exchange(this, conn, req, svc, fwd).start();
  }

  private onUpgrade(conn: ClientConnection, req: RequestHead, socket: Socket, rest: Buffer, key: string): void {
    if (req.upgrade.toLowerCase() !== 'websocket') return rawReply(socket, 400, 'only WebSocket upgrades are supported');
    const fwd = forwardHead(req, conn.remoteAddress, conn.proto, conn.trustForwarded);
    const routes = this.current.listeners.get(key);
    const svc = routes && matchRoute(routes, fwd.hostname, req.target);
    if (!svc) return rawReply(socket, 404, `no service for host "${fwd.hostname}" and path "${req.target}"`);
    // An experiment's user keeps their variant on a WebSocket too (a user without a key follows the weights).
    const user = svc.experiment !== null ? userKey(svc.experiment, req.headers) : undefined;
    const { pinned, rev } = chooseRevision(svc, req.headers, user && !user.generated ? user.key : undefined);
    const chosen = chooseUpstream(svc, rev, pinned !== undefined || (user !== undefined && !user.generated), null);
    if (!chosen) return rawReply(socket, 503, `no ready instance for service "${svc.name}"`);
    this.relay.handle(req, socket, rest, chosen.u, fwd.headers);
  }
}
