/**
 * From an instance spec to the Engine API's container create body: the
 * image, Cutover's environment (nothing inherited from the controller), the
 * labels adopt() finds it by, the container's port published on `hostIp` at a
 * port Cutover chose, and resource limits. No restart policy: restarts with
 * backoff and crash-loop detection are the InstanceManager's, as for processes.
 */
import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerSpec, InstanceSpec } from '../provider.ts';
import { cutoverEnv } from '../local/spawn-instance.ts';
import { containerLabels, containerName } from './labels.ts';

export interface Placement {
  id: string;
  stateDir: string;
  hostIp: string;
  /** 0: Docker picks one (a remote host). */
  hostPort: number;
  /** Docker network the container joins; default Docker's `bridge`. */
  network?: string;
}

export function createOptions(spec: InstanceSpec, container: ContainerSpec, at: Placement): ContainerCreateOptions {
  const portKey = `${container.port}/tcp`;
  const env = cutoverEnv(spec, at.id, container.port);
  return {
    name: containerName(at.id),
    Image: container.image,
    ...(spec.command.trim() ? { Cmd: ['/bin/sh', '-c', spec.command] } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(spec, at.id, at.stateDir),
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: at.hostIp, HostPort: at.hostPort ? String(at.hostPort) : '' }] },
      RestartPolicy: { Name: 'no' },
      // An init (Docker's tini) as PID 1: the app gets signals as a process would (PID 1 ignores SIGTERM it has no handler for) and zombies are reaped.
      Init: true,
      ...(at.network ? { NetworkMode: at.network } : {}),
      ...(container.cpus !== undefined ? { NanoCpus: Math.round(container.cpus * 1e9) } : {}),
      ...(container.memoryBytes !== undefined ? { Memory: container.memoryBytes } : {}),
      LogConfig: { Type: 'json-file', Config: {} },
    },
  };
}
