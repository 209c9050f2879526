/** Errors the control plane raises on purpose; codes are listed in docs/rollouts.md. */
import { CutoverError } from '../errors.ts';

export class ServiceNotFoundError extends CutoverError {
  constructor(service: string, known: string[]) {
    super('SERVICE_NOT_FOUND', `service "${service}" is not in the config`, {
      status: 404,
      hint: known.length ? `known services: ${known.join(', ')}` : 'add it under `services:` in cutover.yaml',
      fields: { service },
    });
  }
}

export class InstanceNotFoundError extends CutoverError {
  constructor(service: string, id: string) {
    super('INSTANCE_NOT_FOUND', `service "${service}" has no instance "${id}"`, {
      status: 404,
      hint: 'GET /api/v1/services/<service>/instances lists the current ones (ids change when an instance is replaced)',
      fields: { service, id },
    });
  }
}

export class RevisionNotFoundError extends CutoverError {
  constructor(service: string, revision: number) {
    super('REVISION_NOT_FOUND', `service "${service}" has no revision ${revision}`, {
      status: 404,
      hint: '`cutover history <service>` lists the revisions kept (revisionHistoryLimit)',
      fields: { service, revision },
    });
  }
}

/** promote, abort, pause or resume with no rollout in a state where it applies. */
export class NoRolloutError extends CutoverError {
  constructor(service: string, action: string, phase: string) {
    super('NO_ROLLOUT_IN_PROGRESS', `cannot ${action} "${service}": no rollout in progress (phase ${phase})`, {
      status: 409,
      hint: 'start one with `cutover deploy`; `cutover status` shows where the service is',
      fields: { service, action, phase },
    });
  }
}

export class NothingToRetryError extends CutoverError {
  constructor(service: string) {
    super('NOTHING_TO_RETRY', `"${service}" has no aborted rollout to retry`, {
      status: 409,
      hint: 'retry restarts an aborted or failed rollout; deploy a new version instead',
      fields: { service },
    });
  }
}

export class NothingToUndoError extends CutoverError {
  constructor(service: string, why: string) {
    super('NOTHING_TO_UNDO', `cannot undo "${service}": ${why}`, {
      status: 409,
      hint: '`cutover history <service>` lists revisions; pass --to-revision N',
      fields: { service },
    });
  }
}

export class MigrationBusyError extends CutoverError {
  constructor(service: string, file: string) {
    super('MIGRATION_IN_PROGRESS', `"${service}" has migration ${file} in progress`, {
      status: 409,
      hint: 'let the current rollout finish (or abort it) before deploying another revision',
      fields: { service, file },
    });
  }
}

export class MigrationHookError extends CutoverError {
  constructor(step: 'start' | 'complete' | 'rollback', file: string, cause: unknown) {
    super('MIGRATION_HOOK_FAILED', `migration ${step} of ${file} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      status: 502,
      hint: step === 'start' ? 'nothing was rolled out; fix the migration and deploy again' : 'the controller retries it; see `cutover events`',
      fields: { step, file },
      cause,
    });
  }
}

export class MigrationsNotConfiguredError extends CutoverError {
  constructor(file: string) {
    super('MIGRATIONS_NOT_CONFIGURED', `revision needs migration ${file} but no migration runner is configured`, {
      status: 400,
      hint: 'configure the database for `cutover migrate`, or deploy without a migration',
      fields: { file },
    });
  }
}

export class ControllerNotStartedError extends CutoverError {
  constructor() {
    super('CONTROLLER_NOT_STARTED', 'the controller has not started (or has stopped)', {
      status: 503,
      hint: 'call start() first; with `cutover up` wait for it to finish starting',
    });
  }
}

/** promote --variant naming no variant of the running experiment (or with no experiment running). */
export class UnknownVariantError extends CutoverError {
  constructor(service: string, variant: string, variants: string[]) {
    super('UNKNOWN_VARIANT', `"${service}" has no experiment variant "${variant}"`, {
      status: 400,
      hint: variants.length ? `the running experiment's variants: ${variants.join(', ')}` : '--variant applies to a running experiment (strategy.experiment)',
      fields: { service, variant },
    });
  }
}

/** A deploy with an image while instances run as local processes. */
export class ImagesNotSupportedError extends CutoverError {
  constructor(service: string, image: string) {
    super('IMAGES_NOT_SUPPORTED', `cannot deploy image ${image} for "${service}": instances run as local processes`, {
      status: 400,
      hint: 'add `runtime: { docker: {} }` to cutover.yaml (and `image`, `port` to the service) to run containers, or deploy a command with --run',
      fields: { service, image },
    });
  }
}

export class FlagsNotServedError extends CutoverError {
  constructor(service: string) {
    super('FLAGS_NOT_SERVED', `"${service}" has a setFlag step, but this controller serves no flags`, {
      status: 500,
      hint: 'run it with `cutover up` (which serves flags), or give the embedded Controller a `flags` option',
      fields: { service },
    });
  }
}

export class DeployHookFailedError extends CutoverError {
  constructor(service: string, message: string) {
    super('DEPLOY_HOOK_FAILED', `"${service}": ${message}; nothing was deployed`, {
      status: 409,
      hint: 'fix what the preDeploy hook checks (its output is above), or the hook itself in cutover.yaml, then deploy again',
      fields: { service },
    });
  }
}
