/**
 * `hosts:` opened: a DockerProvider per host (remote: Docker picks ports, probes go to published ports), one
 * HostsProvider over them, and the data plane of a proxy per host. Every host must answer when `up` starts:
 * instances are adopted from each host's containers then.
 */
import type { CutoverConfig } from '../../config/schema.ts';
import { hostList } from '../../config/hosts-schema.ts';
import { DockerProvider } from '../../runtime/docker/docker-provider.ts';
import { HostsProvider } from '../../runtime/hosts/hosts-provider.ts';
import type { Logger } from '../../shared/log.ts';
import { ensureToken } from '../../shared/token.ts';
import { ensureAdminCertificate } from './admin-certificate.ts';
import { HostProxy } from './host-proxy.ts';
import { HostsDataPlane } from './hosts-data-plane.ts';

export async function openHosts(config: CutoverConfig, logger: Logger): Promise<{ provider: HostsProvider; dataPlane: HostsDataPlane }> {
  const docker = config.runtime.docker;
  const token = ensureToken(config.stateDir, 'proxy-token');
  const hosts = await Promise.all(
    hostList(config.hosts).map(async (h) => {
      const provider = await DockerProvider.open({
        stateDir: config.stateDir,
        host: h.docker,
        ...(h.tls ? { tls: h.tls } : {}),
        ...(h.ssh ?? docker?.ssh ? { ssh: h.ssh ?? docker!.ssh! } : {}),
        hostIp: h.address,
        ...(docker?.network ? { network: docker.network } : {}),
        maxLogBytes: config.logs.maxSize,
        remote: true,
      });
      const certificate = await ensureAdminCertificate(config.stateDir, h);
      const proxy = new HostProxy({ name: h.name, address: h.address, docker: provider.docker, stateDir: config.stateDir, token, image: config.proxy.image, adminPort: config.proxy.adminPort, limits: config.proxy.limits, certificate, logger });
      return { name: h.name, address: h.address, provider, proxy };
    }),
  );
  const provider = new HostsProvider(hosts);
  const planes = hosts.map((h) => ({ name: h.name, address: h.address, proxy: h.proxy, engineAnswers: () => h.provider.engineAnswers }));
  return { provider, dataPlane: new HostsDataPlane(planes, provider, logger) };
}
