/**
 * Spawns one instance: `sh -c <command>` detached in its own process group,
 * stdout and stderr written straight into its log file (the child holds the
 * file itself: no pipes, so it never depends on the controller's process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceRecord, InstanceSpec } from '../provider.ts';
import { InstanceStartError } from '../errors.ts';
import { procStart } from './proc.ts';

export interface SpawnedInstance {
  record: InstanceRecord;
  child: ChildProcess;
}

/** `<stateDir>/logs/<service>/<revision>-<id>.log` */
export function instanceLogFile(stateDir: string, service: string, revision: number, id: string): string {
  return join(stateDir, 'logs', service, `${revision}-${id}.log`);
}

export function newInstanceId(service: string, revision: number): string {
  return `${service}-${revision}-${randomBytes(3).toString('hex')}`;
}

/**
 * An ID never used in this state dir: every instance ever started here has a log file, so an ID whose
 * log exists is drawn again (24 random bits clash once in ~16M pairs; over a long life that happens).
 */
export function unusedInstanceId(stateDir: string, spec: InstanceSpec, draw = newInstanceId): string {
  for (;;) {
    const id = draw(spec.service, spec.revision);
    if (!existsSync(instanceLogFile(stateDir, spec.service, spec.revision, id))) return id;
  }
}

/** Variables of the controller's own environment that an app must never see (they grant control over Cutover). */
const PRIVATE_ENV = ['CUTOVER_TOKEN', 'CUTOVER_API', 'CUTOVER_DIST'];

/** The environment an instance sees: ours (less Cutover's private variables), then the spec's, then Cutover's own variables. */
export function instanceEnv(spec: InstanceSpec, id: string, port: number): NodeJS.ProcessEnv {
  const inherited = { ...process.env };
  for (const name of PRIVATE_ENV) delete inherited[name];
  return {
    ...inherited,
    ...spec.env,
    PORT: String(port),
    CUTOVER_SERVICE: spec.service,
    CUTOVER_REVISION: String(spec.revision),
    CUTOVER_VERSION: spec.version,
    CUTOVER_INSTANCE: id,
  };
}

export interface SpawnOptions {
  stateDir: string;
  host: string;
  port: number;
  /** A log file past this size is moved to `<file>.1` when its instance (re)starts (running ones: log-rotation.ts). */
  maxLogBytes: number;
}

export async function spawnInstance(opts: SpawnOptions, spec: InstanceSpec): Promise<SpawnedInstance> {
  const { host, port } = opts;
  checkCwd(spec);
  const id = spec.id ?? unusedInstanceId(opts.stateDir, spec);
  const logFile = instanceLogFile(opts.stateDir, spec.service, spec.revision, id);
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  rotateIfLarge(logFile, opts.maxLogBytes);
  // Instance output may hold secrets: the log is readable by its owner only.
  const fd = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    writeSync(fd, `[cutover] ${new Date().toISOString()} starting ${id} (revision ${spec.revision}, ${spec.version}) on ${host}:${port}\n`);
    child = spawn('/bin/sh', ['-c', shellCommand(spec.command)], {
      cwd: spec.cwd,
      env: instanceEnv(spec, id, port),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid ?? (await spawnFailure(child, spec));
  child.unref();
  const record: InstanceRecord = {
    id,
    service: spec.service,
    revision: spec.revision,
    version: spec.version,
    pid,
    host,
    port,
    startedAt: Date.now(),
    logFile,
    restarts: 0,
    procStart: procStart(pid),
    pgid: pid,
  };
  return { record, child };
}

/**
 * A simple command (a program and its arguments, nothing else for the shell
 * to do) runs with `exec`, so the program itself leads the process group:
 * its PID is the instance's and its exit code or signal is reported as is.
 * Anything else (pipes, `&&`, redirections, variables, leading assignments)
 * runs under the shell unchanged.
 */
export function shellCommand(command: string): string {
  const simple = /^[^;&|<>()$`\n*?[\]{}~#!]+$/.test(command) && !/^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(command);
  return simple && !/^\s*exec\s/.test(command) ? `exec ${command.trim()}` : command;
}

/** The running process holds its log open, so a log can only be rotated between runs. */
function rotateIfLarge(file: string, maxBytes: number): void {
  try {
    if (statSync(file).size > maxBytes) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

function checkCwd(spec: InstanceSpec): void {
  if (!existsSync(spec.cwd) || !statSync(spec.cwd).isDirectory()) {
    throw new InstanceStartError(spec.service, `working directory ${spec.cwd} does not exist`, {
      hint: 'set `cwd` in cutover.yaml (or --cwd) to an existing directory',
    });
  }
}

function spawnFailure(child: ChildProcess, spec: InstanceSpec): Promise<never> {
  return new Promise((_, reject) => {
    child.once('error', (err) => reject(new InstanceStartError(spec.service, err.message, { cause: err })));
  });
}
