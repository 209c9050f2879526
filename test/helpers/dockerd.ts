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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      await waitFor(() => exited, 'dockerd exit', 20_000).catch(() => child.kill('SIGKILL'));
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitFor(async () => exited || (await docker.ping().then(() => true, () => false)), 'dockerd /_ping', 30_000);
    if (exited) throw new Error('dockerd exited');
    const network = `cutover-test-${process.pid}`;
    await docker.createNetwork({
      Name: network,
      Driver: 'bridge',
      Options: { 'com.docker.network.bridge.name': `cvt${process.pid % 100_000}`, 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
      IPAM: { Config: [{ Subnet: subnetFor(process.pid) }] },
    });
    return { host: `unix://${socket}`, docker, network, stop };
  } catch (err) {
    const text = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}; dockerd log:\n${text}`);
  }
}

/** A /24 in 10.200.0.0/13 picked by pid, so daemons of concurrent test files do not overlap. */
function subnetFor(pid: number): string {
  const n = pid % 2048;
  return `10.${200 + (n >> 8)}.${n & 255}.0/24`;
}
