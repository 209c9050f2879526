/**
 * A Docker Engine for tests. When the system's daemon answers on
 * /var/run/docker.sock it is used; otherwise this starts `dockerd` itself, in
 * a temp dir of its own (data root, exec root, socket, pid file), and stops it
 * after. Nothing is skipped silently: a daemon that cannot start fails the
 * test with its log.
 *
 * The daemon started here runs with `--bridge=none --iptables=false`: several
 * test files may each run a daemon at once, and Docker's default bridge
 * (docker0, 172.17.0.0/16) can have only one owner. Each daemon instead gets a
 * user-defined bridge network with its own interface name and subnet;
 * published ports on 127.0.0.1 go through Docker's userland proxy, so no
 * iptables rules are needed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { waitFor } from './wait.ts';

export interface TestDocker {
  /** unix:///... for DockerProvider's `host`. */
  host: string;
  docker: Docker;
  /** The network containers join (undefined: the daemon's default bridge). */
  network: string | undefined;
  stop(): Promise<void>;
}

const SYSTEM_SOCKET = '/var/run/docker.sock';

export async function startDocker(): Promise<TestDocker> {
  const system = new Docker({ socketPath: SYSTEM_SOCKET });
  if (await system.ping().then(() => true, () => false)) return { host: `unix://${SYSTEM_SOCKET}`, docker: system, network: undefined, stop: async () => {} };
  const errors: string[] = [];
  for (const driver of ['overlay2', 'vfs']) {
    try {
      return await startDockerd(driver);
    } catch (err) {
      errors.push(`--storage-driver ${driver}: ${(err as Error).message}`);
    }
  }
  throw new Error(`dockerd could not start:\n${errors.join('\n\n')}`);
}

async function startDockerd(driver: string): Promise<TestDocker> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const logFile = join(dir, 'dockerd.log');
  const { openSync } = await import('node:fs');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--host', `unix://${socket}`, '--pidfile', join(dir, 'dockerd.pid'), '--storage-driver', driver, '--bridge=none', '--iptables=false', '--ip-masq=false'],
    { stdio: ['ignore', log, log] },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  const docker = new Docker({ socketPath: socket });
  const { network, bridge, subnet } = freeNetwork();
  const stop = async (): Promise<void> => {
    if (!exited) {
      // The network's bridge interface outlives the daemon unless the network is removed: a stale one holding the
      // same subnet as a later daemon's would swallow the packets to its containers.
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
      await docker.getNetwork(network).remove().catch(() => {});
      child.kill('SIGTERM');
      await waitFor(() => exited, 'dockerd exit', 20_000).catch(() => child.kill('SIGKILL'));
    }
    spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitFor(async () => exited || (await docker.ping().then(() => true, () => false)), 'dockerd /_ping', 30_000);
    if (exited) throw new Error('dockerd exited');
    await docker.createNetwork({
      Name: network,
      Driver: 'bridge',
      Options: { 'com.docker.network.bridge.name': bridge, 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
      IPAM: { Config: [{ Subnet: subnet }] },
    });
    return { host: `unix://${socket}`, docker, network, stop };
  } catch (err) {
    const text = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}; dockerd log:\n${text}`);
  }
}

/**
 * A bridge name and a /24 in 10.200.0.0/13 that no interface of this machine uses (a daemon of a concurrent test
 * file, or a bridge a killed run left behind), starting from one picked by pid.
 */
export function freeNetwork(): { network: string; bridge: string; subnet: string } {
  const ifaces = networkInterfaces();
  const used = new Set(Object.values(ifaces).flatMap((list) => (list ?? []).map((a) => a.address)));
  for (let i = 0; i < 2048; i++) {
    const n = (process.pid + i) % 2048;
    const bridge = `cvt${(process.pid + i) % 100_000}`;
    const gateway = `10.${200 + (n >> 8)}.${n & 255}.1`;
    if (used.has(gateway) || ifaces[bridge]) continue;
    return { network: `cutover-test-${process.pid}-${i}`, bridge, subnet: `10.${200 + (n >> 8)}.${n & 255}.0/24` };
  }
  throw new Error('no free /24 in 10.200.0.0/13 for a test Docker network');
}
