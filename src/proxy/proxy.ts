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
import { chooseRevision, chooseUpstream, pickUpstream } from './load-balancer.ts';
import { collectStats, PrometheusMetrics } from './metrics.ts';
import type { Upstream } from './upstream.ts';
import type { ClientConnection } from './http1/client-connection.ts';
import type { RequestHead } from './http1/head-parser.ts';
import { UPSTREAM_IDLE_MS, type ResponseHandler } from './http1/upstream-connection.ts';
import { Sweeper, sweepInterval } from './http1/sweeper.ts';
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
    this.current = table; // the atomic swap: every request reads this reference once
    this.state = structuredClone(state);
    this.listeners.closeExtra(state.listeners);
    this.queue.kick(table);
    this.log.info({ version: table.version, services: state.services.length }, 'route table applied');
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
    return collectStats(this.current);
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

  mirror(svc: CompiledService, ex: Exchange): void {
    const m = svc.spec.mirror!;
    if (Math.random() * 100 >= m.percent) return;
    const u = svc.mirrorRevision && pickUpstream(svc.mirrorRevision, null);
    if (!u) return;
    u.pool.dispatch(ex.outgoing(), DISCARD); // only replayable requests are mirrored: no body or a buffered one
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
    const { pinned, rev } = chooseRevision(svc, req.headers);
    const chosen = chooseUpstream(svc, rev, pinned !== undefined, null);
    if (!chosen) return rawReply(socket, 503, `no ready instance for service "${svc.name}"`);
    this.relay.handle(req, socket, rest, chosen.u, fwd.headers);
  }
}
