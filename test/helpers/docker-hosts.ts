/**
 * Several "hosts" on this machine for tests of `hosts:`: each is a network namespace joined to a bridge here by a
 * veth pair, with its own dockerd (own data root, exec root, sockets, pid file, cgroup parent) reached over TCP at
 * the namespace's address, as a control plane reaches real hosts. `nsenter --net` keeps this machine's mounts, so
 * the daemon finds the cgroup hierarchies (`ip netns exec` would give it a fresh /sys without them). The daemons run
 * with --live-restore: stopping one (a host's Engine going away) leaves its containers serving; their published
 * ports are NAT rules in the namespace's own iptables (no docker-proxy, which dies with its daemon).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { freeNetwork } from './dockerd.ts';
import { waitFor } from './wait.ts';

export interface TestHost {
  name: string;
  /** The namespace's address: its Engine listens on tcp://address:2375, its proxy and published ports here too. */
  address: string;
  engine: string;
  /** The Engine's unix socket (what `docker system dial-stdio` dials for an ssh:// Engine). */
  socket: string;
  docker: Docker;
  /** Stops the daemon (containers keep running: live-restore). */
  stopDaemon(): Promise<void>;
  startDaemon(): Promise<void>;
  /** Starts sshd in the host's namespace (killed with the host), its sessions' DOCKER_HOST set to this host's Engine. */
  sshd(dir: string): Promise<TestSshd>;
  log(): string;
}

export interface TestSshd {
  /** ssh://root@address:22 */
  engine: string;
  /** The client's private key (authorized on the host). */
  keyFile: string;
  /** A known_hosts file listing the host's key. */
  knownHosts: string;
}

export interface TestHosts {
  hosts: TestHost[];
  stop(): Promise<void>;
}

const ENGINE_PORT = 2375;

export async function startHosts(n: number): Promise<TestHosts> {
  const tag = String(process.pid % 100_000);
  // The bridge joining the namespaces, on a /24 no interface here uses (as the test dockerd's networks are).
  const free = freeNetwork();
  const bridge = free.bridge;
  const subnet = free.subnet.replace(/\.0\/24$/, '');
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hosts-'));
  const hosts: Array<TestHost & { ns: string; kill(): Promise<void> }> = [];
  const run = (...args: string[]) => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message}`);
  };
  const stop = async () => {
    await Promise.all(hosts.map((h) => h.kill()));
    for (const h of hosts) spawnSync('ip', ['netns', 'delete', h.ns], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    // The daemons' namespace and overlay mounts outlive them.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    run('ip', 'link', 'add', bridge, 'type', 'bridge');
    run('ip', 'addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    run('ip', 'link', 'set', bridge, 'up');
    for (let i = 0; i < n; i++) {
      const ns = `cutover-${tag}-${i}`;
      const address = `${subnet}.${i + 2}`;
      spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
      run('ip', 'netns', 'add', ns);
      run('ip', 'link', 'add', `cv${tag}h${i}`, 'type', 'veth', 'peer', 'name', `cv${tag}p${i}`);
      run('ip', 'link', 'set', `cv${tag}h${i}`, 'master', bridge);
      run('ip', 'link', 'set', `cv${tag}h${i}`, 'up');
      run('ip', 'link', 'set', `cv${tag}p${i}`, 'netns', ns);
      run('ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', `cv${tag}p${i}`);
      run('ip', '-n', ns, 'link', 'set', `cv${tag}p${i}`, 'up');
      run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      hosts.push(await daemonIn(ns, `host-${i + 1}`, address, join(dir, `h${i}`)));
    }
    return { hosts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function daemonIn(ns: string, name: string, address: string, dir: string): Promise<TestHost & { ns: string; kill(): Promise<void> }> {
  const engine = `tcp://${address}:${ENGINE_PORT}`;
  const docker = new Docker({ host: address, port: ENGINE_PORT, protocol: 'http' });
  const logFile = join(dir, 'dockerd.log');
  let child: ChildProcess | undefined;
  let exited = true;
  const start = async () => {
    spawnSync('mkdir', ['-p', dir]);
    const log = openSync(logFile, 'a');
    const args = ['--net=/var/run/netns/' + ns, 'dockerd', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--host', `unix://${join(dir, 'docker.sock')}`,
      '--host', engine, '--tls=false', '--pidfile', join(dir, 'dockerd.pid'), '--storage-driver', 'overlay2', '--bridge=none',
      // Published ports by NAT rules in the namespace's own tables, not docker-proxy: the rules outlive a stopped daemon.
      '--userland-proxy=false', '--live-restore', '--cgroup-parent', ns];
    const c = spawn('nsenter', args, { stdio: ['ignore', log, log] });
    child = c;
    exited = false;
    c.on('exit', () => (exited = true));
    c.on('error', () => (exited = true));
    await waitFor(async () => exited || (await docker.ping().then(() => true, () => false)), `dockerd of ${name} /_ping`, { timeoutMs: 60_000, everyMs: 200 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`);
    });
    if (exited) throw new Error(`dockerd of ${name} exited:\n${readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`);
  };
  const stopDaemon = async () => {
    if (!child || exited) return;
    child.kill('SIGTERM');
    await waitFor(() => exited, `dockerd of ${name} to exit`, 30_000).catch(() => child?.kill('SIGKILL'));
  };
  const kill = async () => {
    if (!exited) {
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    }
    await stopDaemon();
    // What live-restore left running (a daemon stopped by the test and not started again), and docker-proxy.
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean).forEach((pid) => spawnSync('kill', ['-9', pid]));
  };
  await start();
  return { ns, name, address, engine, socket: join(dir, 'docker.sock'), docker, stopDaemon, startDaemon: start, kill, sshd: (d) => startSshd(ns, address, join(dir, 'docker.sock'), d), log: () => readFileSync(logFile, 'utf8') };
}

async function startSshd(ns: string, address: string, socket: string, dir: string): Promise<TestSshd> {
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  for (const key of ['host_key', 'client_key']) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', join(dir, key)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  }
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [`ListenAddress ${address}:22`, `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no',
      `SetEnv DOCKER_HOST=unix://${socket}`, ''].join('\n'),
  );
  const log = openSync(join(dir, 'sshd.log'), 'a');
  const child = spawn('nsenter', [`--net=/var/run/netns/${ns}`, '/usr/sbin/sshd', '-D', '-e', '-f', config], { stdio: ['ignore', log, log] });
  child.unref();
  await waitFor(() => new Promise<boolean>((resolve) => {
    const s = connect(22, address, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  }), `sshd on ${address}`, { timeoutMs: 10_000, everyMs: 100, context: () => readFileSync(join(dir, 'sshd.log'), 'utf8') });
  const [type, blob] = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ');
  writeFileSync(join(dir, 'known_hosts'), `${address} ${type} ${blob}\n`);
  return { engine: `ssh://root@${address}`, keyFile: join(dir, 'client_key'), knownHosts: join(dir, 'known_hosts') };
}
