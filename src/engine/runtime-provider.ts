/**
 * Which runtime the engine drives, from cutover.yaml: local processes by
 * default, containers on a Docker Engine with `runtime.docker`. The docker
 * provider also pulls and pins images for the controller.
 */
import type { CutoverConfig } from '../config/schema.ts';
import type { ImageResolver } from '../rollout/interfaces.ts';
import { DockerProvider } from '../runtime/docker/docker-provider.ts';
import { LocalProvider } from '../runtime/local/local-provider.ts';
import type { RuntimeProvider } from '../runtime/provider.ts';

export interface ChosenRuntime {
  provider: RuntimeProvider;
  images?: ImageResolver;
}

export async function openRuntimeProvider(config: CutoverConfig): Promise<ChosenRuntime> {
  const docker = config.runtime.docker;
  if (!docker) return { provider: new LocalProvider({ stateDir: config.stateDir, maxLogBytes: config.logs.maxSize }) };
  const provider = await DockerProvider.open({
    stateDir: config.stateDir,
    host: docker.host,
    ...(docker.tls ? { tls: docker.tls } : {}),
    hostIp: docker.hostIp,
    ...(docker.network ? { network: docker.network } : {}),
    maxLogBytes: config.logs.maxSize,
  });
  return { provider, images: provider };
}
