/**
 * Instances as containers on a Docker Engine. Like processes, they outlive
 * the controller: they carry labels (service, revision, instance, state dir)
 * and a restarted controller adopts them. Probes, readiness, drain-then-stop,
 * restarts with backoff and crash-loop detection stay the InstanceManager's:
 * containers get no Docker restart policy.
 *
 * The Engine API is asynchronous and RuntimeProvider's `isAlive` and `adopt`
 * are not, so the provider keeps a view of its containers, as a Kubernetes
 * informer does: `DockerProvider.open()` loads it before the controller
 * adopts anything, and a `wait` on every container it watches keeps it current.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, resolve } from 'node:path';
import type Docker from 'dockerode';
import { InstanceStartError } from '../errors.ts';
import type { ExitListener, InstanceRecord, InstanceSpec, Probe, RuntimeProvider, StopOptions } from '../provider.ts';
import { LogRotator, rotateInPlace } from '../local/log-rotation.ts';
import { freePort, type PortRange } from '../local/ports.ts';
import { probeOnce } from '../local/probe.ts';
import { instanceLogFile, unusedInstanceId } from '../local/spawn-instance.ts';
import { createOptions } from './container-spec.ts';
import { DEFAULT_DOCKER_HOST, dockerClient, pingDocker, type DockerConnection } from './docker-client.ts';
import { ensureImage, type PulledImage, type PullProgress } from './image-pull.ts';
import { buildImage, type BuildRequest } from './image-build.ts';
import { LABEL, containerName } from './labels.ts';
import { followLogs, type LogFollower } from './log-stream.ts';

export interface DockerProviderOptions extends DockerConnection {
  /** Logs go to `<stateDir>/logs/<service>/<revision>-<id>.log`, as for processes. */
  stateDir: string;
  /** Host address container ports are published on (and probed and proxied at); default 127.0.0.1. */
  hostIp?: string;
  /** Docker network containers join; default Docker's `bridge`. */
  network?: string;
  portRange?: PortRange;
  /** A log past this size is rotated to `<file>.1`; default 100 MiB. */
  maxLogBytes?: number;
  logCheckMs?: number;
  /**
   * The Engine runs on another machine (a `hosts:` entry): Docker picks the published port (Cutover cannot bind
   * there to find a free one), probes go to the published port (the container network is not routed here), and a
   * lost connection to the daemon is not taken for the containers' exit.
   */
  remote?: boolean;
}

/** What the provider knows of one of its containers. */
interface Known {
  running: boolean;
  instance: string;
  service: string;
  /** Address on its Docker network and the port the app listens on there (TCP probes go straight to it). */
  ip?: string;
  containerPort?: number;
}

interface Tracked {
  record: InstanceRecord;
  containerId: string;
  watching: AbortController;
  logs?: LogFollower;
  stopping: boolean;
}

const LOG_DRAIN_MS = 2000;
/** How often a remote host's Engine is checked, and how long a check waits. */
const ENGINE_CHECK_MS = 1000;
const PING_TIMEOUT_MS = 3000;

export class DockerProvider implements RuntimeProvider {
  readonly name = 'docker';
  readonly stateDir: string;
  readonly hostIp: string;
  private readonly known = new Map<string, Known>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners: ExitListener[] = [];
  private readonly maxLogBytes: number;
  private readonly logs: LogRotator;
  /** Remote hosts: the Engine stopped answering since the last check, so every watch is suspect. */
  private engineLost = false;
  private engineUp = true;
  private engineTimer: NodeJS.Timeout | undefined;
  private checking = false;

  private constructor(
    readonly docker: Docker,
    private readonly opts: DockerProviderOptions,
  ) {
    this.stateDir = resolve(opts.stateDir);
    this.hostIp = opts.hostIp ?? '127.0.0.1';
    this.maxLogBytes = opts.maxLogBytes ?? 100 * 1024 * 1024;
    this.logs = new LogRotator(() => [...this.tracked.values()].map((t) => t.record.logFile), this.maxLogBytes, opts.logCheckMs ?? 10_000);
  }

  /** Connects, checks the daemon answers (DOCKER_UNAVAILABLE otherwise) and loads the containers of this state dir. */
  static async open(opts: DockerProviderOptions): Promise<DockerProvider> {
    const p = new DockerProvider(dockerClient(opts), opts);
    await pingDocker(p.docker, opts.host ?? DEFAULT_DOCKER_HOST);
    await p.refresh();
    if (opts.remote) {
      p.engineTimer = setInterval(() => {
        if (p.checking) return;
        p.checking = true;
        void p.checkEngine().finally(() => (p.checking = false));
      }, ENGINE_CHECK_MS);
      p.engineTimer.unref();
    }
    return p;
  }

  /** Remote hosts: whether the Engine answered its last check (every second); local ones are not checked. */
  get engineAnswers(): boolean {
    return this.engineUp;
  }

  /** Reloads the view of this state dir's containers from the daemon. */
  async refresh(): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.stateDir}=${this.stateDir}`] } });
    for (const c of list) {
      const net = Object.values(c.NetworkSettings?.Networks ?? {})[0];
      this.known.set(c.Id, {
        running: c.State === 'running',
        instance: c.Labels[LABEL.instance] ?? '',
        service: c.Labels[LABEL.service] ?? '',
        ...(net?.IPAddress ? { ip: net.IPAddress } : {}),
        ...(c.Ports[0]?.PrivatePort ? { containerPort: c.Ports[0].PrivatePort } : {}),
      });
    }
  }

  /** Builds `req.tag` from a context directory on this Engine (IMAGE_BUILD_FAILED otherwise) and names its exact bits. */
  buildImage(req: BuildRequest, onProgress?: PullProgress): Promise<PulledImage> {
    return buildImage(this.docker, req, onProgress);
  }

  /** Pulls `image` when the host lacks it (IMAGE_PULL_FAILED otherwise) and names its exact bits. */
  pullImage(image: string, onProgress?: PullProgress): Promise<PulledImage> {
    return ensureImage(this.docker, image, onProgress);
  }

  async start(spec: InstanceSpec): Promise<InstanceRecord> {
    const container = spec.container;
    if (!container) throw new InstanceStartError(spec.service, 'the docker runtime runs images and this revision has none', { hint: 'set `image` and `port` for the service in cutover.yaml' });
    const id = spec.id ?? unusedInstanceId(this.stateDir, spec);
    const logFile = instanceLogFile(this.stateDir, spec.service, spec.revision, id);
    mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
    await rotateInPlace(logFile, this.maxLogBytes).catch(() => false);
    await this.removeContainer(containerName(id)); // a restart in place reuses the id, and so the name
    const hostPort = this.opts.remote ? 0 : await freePort(this.hostIp, this.opts.portRange);
    appendFileSync(logFile, `[cutover] ${new Date().toISOString()} starting ${id} (revision ${spec.revision}, ${spec.version}) from ${container.image} on ${this.hostIp}${hostPort ? `:${hostPort}` : ''}\n`, { mode: 0o600 });
    const options = createOptions(spec, container, { id, stateDir: this.stateDir, hostIp: this.hostIp, hostPort, ...(this.opts.network ? { network: this.opts.network } : {}) });
    let containerId: string;
    try {
      const c = await this.docker.createContainer(options);
      containerId = c.id;
      await c.start().catch(async (err: unknown) => {
        await this.removeContainer(c.id);
        throw err;
      });
    } catch (err) {
      throw new InstanceStartError(spec.service, `container from ${container.image}: ${(err as Error).message}`, { cause: err, hint: 'check `image` and `port` in cutover.yaml and the Docker daemon log' });
    }
    const info = await this.docker.getContainer(containerId).inspect();
    const ip = Object.values(info.NetworkSettings.Networks ?? {})[0]?.IPAddress;
    this.known.set(containerId, { running: info.State.Running, instance: id, service: spec.service, containerPort: container.port, ...(ip ? { ip } : {}) });
    const published = hostPort || Number(info.NetworkSettings.Ports?.[`${container.port}/tcp`]?.[0]?.HostPort ?? 0);
    const record: InstanceRecord = { id, service: spec.service, revision: spec.revision, version: spec.version, pid: info.State.Pid, host: this.hostIp, port: published, startedAt: Date.now(), logFile, restarts: 0, procStart: containerId };
    this.watch(record, containerId, true);
    return { ...record };
  }

  /** Sends the signal, SIGKILL after killAfterMs, then removes the container (stop signals with ms precision on every API version). */
  async stop(record: InstanceRecord, opts: StopOptions): Promise<void> {
    const t = this.tracked.get(record.id);
    const cid = record.procStart ?? containerName(record.id);
    if (t && t.containerId === cid) t.stopping = true;
    try {
      await this.stopContainer(cid, opts, t);
    } finally {
      if (t && this.tracked.get(record.id) === t) this.untrack(record.id);
    }
  }

  /**
   * Stops and removes this state dir's containers that no instance in `keep`
   * names: one started just before a controller was killed (never recorded),
   * or one that exited while no controller ran. Returns their instance ids.
   */
  async removeStrays(keep: ReadonlySet<string>, stopFor: (service: string) => StopOptions): Promise<string[]> {
    await this.refresh();
    const strays = [...this.known.entries()].filter(([cid, k]) => !keep.has(k.instance) && ![...this.tracked.values()].some((t) => t.containerId === cid));
    await Promise.all(strays.map(([cid, k]) => this.stopContainer(cid, stopFor(k.service), undefined).catch(() => {})));
    for (const [cid] of strays) this.known.delete(cid);
    return strays.map(([, k]) => k.instance);
  }

  isAlive(record: InstanceRecord): boolean {
    return record.procStart !== undefined && this.known.get(record.procStart)?.running === true;
  }

  probe(record: InstanceRecord, probe: Probe): Promise<boolean> {
    // Docker's userland proxy accepts on the published port even when nothing listens inside: a TCP probe goes to the container itself.
    const k = record.procStart ? this.known.get(record.procStart) : undefined;
    const direct = !this.opts.remote && probe.path === undefined && k?.ip && k.containerPort;
    const target = direct ? { host: k.ip!, port: k.containerPort! } : { host: record.host, port: record.port };
    return probeOnce({ ...target, path: probe.path, timeoutMs: probe.timeoutMs });
  }

  adopt(record: InstanceRecord): boolean {
    const cid = record.procStart;
    const k = cid ? this.known.get(cid) : undefined;
    if (!cid || !k || !k.running || k.instance !== record.id) return false;
    const t = this.tracked.get(record.id);
    if (t && t.containerId === cid) return true;
    this.untrack(record.id);
    this.watch({ ...record }, cid, false);
    return true;
  }

  onExit(listener: ExitListener): void {
    this.listeners.push(listener);
  }

  async detach(): Promise<void> {
    clearInterval(this.engineTimer);
    for (const id of [...this.tracked.keys()]) this.untrack(id);
    this.logs.stop();
  }

  private async stopContainer(cid: string, opts: StopOptions, t: Tracked | undefined): Promise<void> {
    const c = this.docker.getContainer(cid);
    const exited = c.wait().catch(() => {});
    if (await signal(c, opts.signal)) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), opts.killAfterMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === 'late') await signal(c, 'SIGKILL');
    }
    await exited;
    await drained(t);
    await this.removeContainer(cid);
    this.setRunning(cid, false);
  }

  /** Follows the container's output into its log and waits for its exit. */
  private watch(record: InstanceRecord, containerId: string, fromStart: boolean): void {
    const t: Tracked = { record, containerId, watching: new AbortController(), stopping: false };
    this.tracked.set(record.id, t);
    followLogs(this.docker, containerId, record.logFile, fromStart).then(
      (logs) => (this.tracked.get(record.id) === t ? (t.logs = logs) : logs.close()),
      () => {}, // gone already: the wait below reports it
    );
    this.docker
      .getContainer(containerId)
      .wait({ abortSignal: t.watching.signal })
      .then((res: { StatusCode: number }) => this.exited(t, res.StatusCode))
      .catch(() => (t.watching.signal.aborted ? undefined : this.lostWatch(t)));
    this.logs.start();
  }

  /**
   * The wait on a container failed. Locally that means it is gone; on a remote host it may only mean the daemon
   * (or the network to it) is down while the container serves on: the Engine check (checkEngine) looks again once
   * the daemon answers.
   */
  private lostWatch(t: Tracked): Promise<void> | void {
    if (!this.opts.remote) return this.exited(t, null);
    this.engineLost = true;
  }

  /**
   * Remote hosts only, every second: is the Engine there? A wait on a container does not always fail when its daemon
   * goes away (the connection can outlive it), so after the Engine was lost every watched container is looked at
   * again: watched anew if it still runs, reported if it exited meanwhile.
   */
  private async checkEngine(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), PING_TIMEOUT_MS)));
    const up = await Promise.race([this.docker.ping().then(() => true, () => false), late]);
    clearTimeout(timer);
    this.engineUp = up;
    if (!up) {
      this.engineLost = true;
      return;
    }
    if (!this.engineLost) return;
    this.engineLost = false;
    await Promise.all([...this.tracked.values()].map((t) => this.recheck(t)));
  }

  private async recheck(t: Tracked): Promise<void> {
    const state = await this.docker.getContainer(t.containerId).inspect().then((i) => i.State, (err: { statusCode?: number }) => (err.statusCode === 404 ? null : undefined));
    if (state === undefined) {
      this.engineLost = true; // could not tell: try again on the next check
      return;
    }
    if (this.tracked.get(t.record.id) !== t || t.stopping) return;
    if (state?.Running) {
      this.untrack(t.record.id);
      this.watch(t.record, t.containerId, false);
      return;
    }
    return this.exited(t, state ? state.ExitCode : null);
  }

  /** A container went away. Stops are expected; anything else is reported, after the container is removed (a restart reuses its name). */
  private async exited(t: Tracked, code: number | null): Promise<void> {
    if (this.tracked.get(t.record.id) !== t || t.stopping) return;
    this.untrack(t.record.id, false);
    this.setRunning(t.containerId, false);
    await drained(t);
    t.logs?.close();
    await this.removeContainer(t.containerId).catch(() => {});
    const sig = code !== null && code > 128 ? signalName(code - 128) : null;
    for (const l of this.listeners) l({ ...t.record }, sig ? null : code, sig);
  }

  private setRunning(containerId: string, running: boolean): void {
    const k = this.known.get(containerId);
    if (k) k.running = running;
  }

  private async removeContainer(nameOrId: string): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }

  private untrack(id: string, closeLogs = true): void {
    const t = this.tracked.get(id);
    if (!t) return;
    t.watching.abort();
    if (closeLogs) t.logs?.close();
    this.tracked.delete(id);
  }

}

/** Sends a signal; false when the container is no longer running (or gone). */
async function signal(c: Docker.Container, sig: NodeJS.Signals): Promise<boolean> {
  try {
    await c.kill({ signal: sig });
    return true;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 409) return false;
    throw err;
  }
}

/** Lets the last output of a stopped container reach its log, for a bounded time. */
async function drained(t: Tracked | undefined): Promise<void> {
  if (!t?.logs) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([t.logs.done, new Promise<void>((r) => (timer = setTimeout(r, LOG_DRAIN_MS)))]);
  clearTimeout(timer);
}

function signalName(n: number): NodeJS.Signals | null {
  const entry = Object.entries(constants.signals).find(([, v]) => v === n);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}
