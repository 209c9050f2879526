/**
 * How Cutover reaches a Docker Engine: a unix socket (the default,
 * unix:///var/run/docker.sock), TCP (tcp://host:2376) with TLS when
 * certificate files are given, or SSH (ssh://user@host), where the host's
 * `docker system dial-stdio` carries the API as for `docker -H ssh://`. The
 * Engine API is spoken by dockerode; Cutover never shells out to `docker`.
 * SSH keys come from the agent (SSH_AUTH_SOCK) or a key file; the host's key
 * must be in known_hosts (ssh-known-hosts.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerUnavailableError } from '../errors.ts';
import { knownHostsVerifier } from './ssh-known-hosts.ts';

export interface DockerConnection {
  /** unix:///path/docker.sock, tcp://host:port or ssh://user@host[:port]; default unix:///var/run/docker.sock. */
  host?: string;
  /** PEM files for TCP with TLS (mutual TLS as `dockerd --tlsverify` expects). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** ssh://: a private key file (else the agent at SSH_AUTH_SOCK) and the known_hosts file (default ~/.ssh/known_hosts). */
  ssh?: { keyFile?: string; knownHosts?: string };
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function dockerClient(conn: DockerConnection = {}): Docker {
  const host = conn.host ?? DEFAULT_DOCKER_HOST;
  const url = parseHost(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'ssh:') {
    const port = Number(url.port || 22);
    const key = conn.ssh?.keyFile ? readFileSync(conn.ssh.keyFile) : undefined;
    const knownHosts = conn.ssh?.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    return new Docker({
      protocol: 'ssh',
      host: url.hostname,
      port,
      username: decodeURIComponent(url.username) || process.env.USER || 'root',
      sshOptions: {
        ...(key ? { privateKey: key } : { agent: process.env.SSH_AUTH_SOCK }),
        hostVerifier: knownHostsVerifier(knownHosts, url.hostname, port),
        readyTimeout: 10_000,
      },
    } as Docker.DockerOptions);
  }
  const tls = conn.tls;
  const read = (f?: string) => (f ? readFileSync(f) : undefined);
  return new Docker({
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    protocol: tls ? 'https' : 'http',
    ...(tls ? { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key) } : {}),
  });
}

/** Fails with DOCKER_UNAVAILABLE (and the daemon's address) when the daemon does not answer. */
export async function pingDocker(docker: Docker, host: string): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new DockerUnavailableError(host, err);
  }
}

function parseHost(host: string): URL {
  let url: URL;
  try {
    url = new URL(host);
  } catch (err) {
    throw new DockerUnavailableError(host, err);
  }
  if (url.protocol !== 'unix:' && url.protocol !== 'tcp:' && url.protocol !== 'ssh:') throw new DockerUnavailableError(host, new Error(`unsupported scheme ${url.protocol} (use unix://, tcp:// or ssh://)`));
  return url;
}
