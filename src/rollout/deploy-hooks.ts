/**
 * preDeploy and postDeploy hooks: the user's commands around a deploy, as Kamal's pre-deploy and post-deploy hooks.
 * preDeploy runs before a deploy changes anything and a failure refuses it; postDeploy runs once a rollout has
 * completed and its outcome is an event (traffic already moved; it cannot undo anything). A hook is run at most once
 * per deploy: a controller stopped while a postDeploy runs kills it, and the restarted one does not run it again.
 */
import { resolve } from 'node:path';
import type { DeployHook } from '../config/schema.ts';
import { describeOutput, runCommand } from '../shared/run-command.ts';

export interface HookContext {
  service: string;
  revision: number;
  version: string;
  /** Relative `cwd` resolves against this (the config file's directory). */
  baseDir: string;
  signal?: AbortSignal;
}

export interface HookOutcome {
  ok: boolean;
  /** One line for the event or the error: exit status or timeout, and the end of the output. */
  message: string;
}

export async function runDeployHook(name: 'preDeploy' | 'postDeploy', hook: DeployHook, ctx: HookContext): Promise<HookOutcome> {
  const env = { ...process.env, ...hook.env, CUTOVER_HOOK: name, CUTOVER_SERVICE: ctx.service, CUTOVER_REVISION: String(ctx.revision), CUTOVER_VERSION: ctx.version };
  try {
    const o = await runCommand({ run: hook.run, cwd: resolve(ctx.baseDir, hook.cwd ?? '.'), env, timeoutMs: hook.timeout, signal: ctx.signal });
    const output = describeOutput(o);
    const tail = output ? `; ${output}` : '';
    if (o.timedOut) return { ok: false, message: `${name} timed out after ${hook.timeout} ms${tail}` };
    if (o.stopped) return { ok: false, message: `${name} stopped with the controller${tail}` };
    if (o.code !== 0) return { ok: false, message: `${name} exited ${o.code ?? o.signal}${tail}` };
    return { ok: true, message: `${name} exited 0${tail}` };
  } catch (err) {
    return { ok: false, message: `${name} could not start: ${(err as Error).message}` };
  }
}
