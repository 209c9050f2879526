/**
 * Which runtime the engine drives, from cutover.yaml: local processes by
 * default, containers on a Docker Engine with `runtime.docker`. The docker
 * provider also pulls and pins images for the controller.
 */
import type { CutoverConfig } from '../config/schema.ts';
import type { ImageResolver } from '../rollout/interfaces.ts';
import { DockerProvider } from '../runtime/docker/docker-provider.ts';
import { LocalProvider } from '../runtime/local/local-provider.ts';
import type { RuntimeProvider, StopOptions } from '../runtime/provider.ts';
import type { Logger } from '../shared/log.ts';
import type { DataPlane } from './data-plane.ts';
import { openHosts } from './hosts/open-hosts.ts';

export interface ChosenRuntime {
  provider: RuntimeProvider;
  images?: ImageResolver;
  /** Removes instances no record names (containers can be found by label; processes cannot); returns their ids. */
  removeStrays?: (keep: ReadonlySet<string>, stopFor: (service: string) => StopOptions) => Promise<string[]>;
  /** With `hosts:`: the proxies of the hosts (otherwise the engine runs one proxy process here). */
  dataPlane?: DataPlane;
}

export async function openRuntimeProvider(config: CutoverConfig, logger: Logger): Promise<ChosenRuntime> {
  if (config.hosts) {
    const { provider, dataPlane } = await openHosts(config, logger);
    return { provider, images: provider, removeStrays: (keep, stopFor) => provider.removeStrays(keep, stopFor), dataPlane };
  }
  const docker = config.runtime.docker;
  if (!docker) return { provider: new LocalProvider({ stateDir: config.stateDir, maxLogBytes: config.logs.maxSize }) };
  const provider = await DockerProvider.open({
    stateDir: config.stateDir,
    host: docker.host,
    ...(docker.tls ? { tls: docker.tls } : {}),
    ...(docker.ssh ? { ssh: docker.ssh } : {}),
    hostIp: docker.hostIp,
    ...(docker.network ? { network: docker.network } : {}),
    maxLogBytes: config.logs.maxSize,
  });
  return { provider, images: provider, removeStrays: (keep, stopFor) => provider.removeStrays(keep, stopFor) };
}

/** The service's shutdown signal and killAfter (defaults for a service no longer in the config). */
export function stopOptionsFor(config: CutoverConfig): (service: string) => StopOptions {
  return (service) => {
    const shutdown = config.services[service]?.shutdown;
    return { signal: shutdown?.signal ?? 'SIGTERM', killAfterMs: shutdown?.killAfter ?? 10_000 };
  };
}
