/** Errors raised by the runtime layer (docs/runtime.md lists every code). */
import { CutoverError } from '../errors.ts';

export class InstanceStartError extends CutoverError {
  constructor(service: string, reason: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('INSTANCE_START_FAILED', `could not start an instance of "${service}": ${reason}`, {
      status: 500,
      hint: opts.hint ?? 'check `run` and `cwd` in cutover.yaml and the instance log (`cutover logs <service>`)',
      fields: { service },
      cause: opts.cause,
    });
  }
}

export class PortUnavailableError extends CutoverError {
  constructor(host: string, cause?: unknown) {
    super('PORT_UNAVAILABLE', `no free TCP port could be found on ${host}`, {
      status: 503,
      hint: 'check that the host address exists on this machine and that ephemeral ports are not exhausted',
      fields: { host },
      cause,
    });
  }
}

export class InstanceStopTimeoutError extends CutoverError {
  constructor(id: string, pid: number) {
    super('INSTANCE_STOP_TIMEOUT', `instance ${id} (pid ${pid}) was still running after SIGKILL`, {
      status: 500,
      hint: 'the process may be stuck in the kernel (uninterruptible I/O); check it with `ps -o pid,stat,cmd -g <pid>`',
      fields: { id, pid },
    });
  }
}

export class DockerUnavailableError extends CutoverError {
  constructor(host: string, cause?: unknown) {
    super('DOCKER_UNAVAILABLE', `the Docker Engine at ${host} does not answer${cause instanceof Error ? `: ${cause.message}` : ''}`, {
      status: 503,
      hint: host.startsWith('ssh://')
        ? 'check that `ssh <user@host> docker version` works from here (key in the agent or `ssh.keyFile`) and that the host key is in known_hosts (`ssh-keyscan -H <host> >> ~/.ssh/known_hosts`)'
        : 'start dockerd (or fix `runtime.docker.host` in cutover.yaml) and check that this user may open its socket',
      fields: { host },
      cause,
    });
  }
}

export class ImagePullError extends CutoverError {
  constructor(image: string, cause?: unknown) {
    super('IMAGE_PULL_FAILED', `image ${image} is not on the Docker host and could not be pulled${cause instanceof Error ? `: ${cause.message}` : ''}`, {
      status: 422,
      hint: 'check the image name and tag, that the registry is reachable from the Docker host, and `docker login` for a private one; nothing was rolled out',
      fields: { image },
      cause,
    });
  }
}

export class HostUnreachableError extends CutoverError {
  constructor(host: string, reason: string, cause?: unknown) {
    super('HOST_UNREACHABLE', `host ${host}: ${reason}`, {
      status: 503,
      hint: "check the host's Docker Engine and proxy (and the network to them); rollouts wait for it and resume when it answers",
      fields: { host },
      cause,
    });
  }
}

export class ImageBuildError extends CutoverError {
  constructor(tag: string, reason: string, cause?: unknown) {
    super('IMAGE_BUILD_FAILED', `building ${tag} failed: ${reason}`, {
      status: 422,
      hint: 'check `build.context` and `build.dockerfile` in cutover.yaml and run the same build with `docker build` to see it whole; nothing was rolled out',
      fields: { image: tag },
      cause,
    });
  }
}
