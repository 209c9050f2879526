/**
 * How Cutover reaches a Docker Engine: a unix socket (the default,
 * unix:///var/run/docker.sock), or TCP (tcp://host:2376) with TLS when
 * certificate files are given. The Engine API is spoken by dockerode; Cutover
 * never shells out to the `docker` CLI.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { DockerUnavailableError } from '../errors.ts';

export interface DockerConnection {
  /** unix:///path/docker.sock or tcp://host:port; default unix:///var/run/docker.sock. */
  host?: string;
  /** PEM files for TCP with TLS (mutual TLS as `dockerd --tlsverify` expects). */
  tls?: { ca?: string; cert?: string; key?: string };
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function dockerClient(conn: DockerConnection = {}): Docker {
  const host = conn.host ?? DEFAULT_DOCKER_HOST;
  const url = parseHost(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
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
  if (url.protocol !== 'unix:' && url.protocol !== 'tcp:') throw new DockerUnavailableError(host, new Error(`unsupported scheme ${url.protocol} (use unix:// or tcp://)`));
  return url;
}
