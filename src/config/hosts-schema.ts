/**
 * `hosts:` in cutover.yaml: the machines one control plane drives (the Kamal shape). Each runs a Docker Engine that
 * Cutover reaches over SSH or TCP (with TLS off a trusted network) and a Cutover proxy that Cutover starts there as a
 * container. A bare string is the Engine's address; the object form names the host and says where its published
 * ports are reached when that is not the Engine address's host.
 */
import { z } from 'zod';

export const sshSettings = z
  .strictObject({
    keyFile: z.string().min(1).optional().describe('Private key file; default the ssh agent (SSH_AUTH_SOCK)'),
    knownHosts: z.string().min(1).optional().describe("known_hosts file the host's key must be in; default ~/.ssh/known_hosts"),
  })
  .describe('For ssh:// Engines');

const tlsFiles = z.strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).describe('PEM files for tcp:// with TLS (mutual TLS as `dockerd --tlsverify` expects)');

export const hostSchema = z.union([
  z.string().min(1).describe('Docker Engine of the host: tcp://10.0.1.10:2376 or ssh://deploy@10.0.1.10'),
  z.strictObject({
    docker: z.string().min(1).describe('Docker Engine of the host: tcp://10.0.1.10:2376 or ssh://deploy@10.0.1.10'),
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'use lowercase letters, digits, dots and dashes').optional().describe('Name in status and events; default the address'),
    address: z.string().min(1).optional().describe("Address the control plane reaches the host's proxy and published ports at; default the Engine address's host"),
    tls: tlsFiles.optional(),
    ssh: sshSettings.optional(),
  }),
]);

export const hostsSchema = z
  .array(hostSchema)
  .min(1)
  .optional()
  .describe('Hosts one control plane drives, each with its own proxy and `replicas` instances of every service (needs `runtime.docker`; see docs/scale-out.md)');

export type HostInput = z.output<typeof hostSchema>;

/** One host, its defaults filled in. */
export interface HostConfig {
  name: string;
  docker: string;
  address: string;
  tls?: { ca?: string; cert?: string; key?: string };
  ssh?: { keyFile?: string; knownHosts?: string };
}

/** The hosts with their defaults (name and address from the Engine URL); [] without `hosts:`. */
export function hostList(hosts: readonly HostInput[] | undefined): HostConfig[] {
  return (hosts ?? []).map((h) => {
    const entry = typeof h === 'string' ? { docker: h } : h;
    const address = entry.address ?? engineHost(entry.docker);
    return { name: entry.name ?? address, docker: entry.docker, address, ...(entry.tls ? { tls: entry.tls } : {}), ...(entry.ssh ? { ssh: entry.ssh } : {}) };
  });
}

function engineHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** Problems with `hosts:` as config issues (path, value, message with the fix). */
export function hostIssues(hosts: readonly HostInput[] | undefined, docker: boolean, httpsServices: string[]): Array<{ path: (string | number)[]; input?: unknown; message: string }> {
  if (!hosts) return [];
  const out: Array<{ path: (string | number)[]; input?: unknown; message: string }> = [];
  if (!docker) out.push({ path: ['hosts'], message: 'hosts run containers: add `runtime: { docker: {} }` and give each service an `image` and `port`' });
  // The certificate files are on this machine and the hosts' proxies could not read them.
  for (const name of httpsServices) out.push({ path: ['services', name, 'tls'], message: 'HTTPS is not served by the proxies of `hosts` yet: terminate TLS in the load balancer in front of the hosts, or run on one machine' });
  const list = hostList(hosts);
  const seen = new Map<string, number>();
  list.forEach((h, i) => {
    const at = typeof hosts[i] === 'string' ? ['hosts', i] : ['hosts', i, 'docker'];
    let url: URL | undefined;
    try {
      url = new URL(h.docker);
    } catch {
      out.push({ path: at, input: h.docker, message: 'not a URL: write the Engine address as tcp://host:2376' });
    }
    if (url && url.protocol !== 'tcp:' && url.protocol !== 'ssh:') {
      out.push({ path: at, input: h.docker, message: 'a host\'s Engine is reached over the network: write tcp://host:2376 (with `tls`) or ssh://user@host' });
    }
    for (const key of [h.name, h.address]) {
      const prev = seen.get(key);
      if (prev !== undefined && prev !== i) out.push({ path: ['hosts', i], input: key, message: `host ${key} is listed twice (also hosts[${prev}]); give each host its own name and address` });
      seen.set(key, i);
    }
  });
  return out;
}
