/**
 * The command provider: a smoke test run with `sh -c` and a timeout. Exit 0 is
 * Successful unless conditions say otherwise; a number on the last line of
 * stdout becomes `result` (else the trimmed stdout). A non-zero exit is a
 * Failed measurement; a timeout or a command that cannot start is an Error.
 * The output is kept with the measurement, trimmed.
 */
import { spawn } from 'node:child_process';
import type { z } from 'zod';
import type { commandProviderSchema } from '../../config/analysis-schema.ts';
import type { MeasureContext, MetricProvider, ProviderResult } from './provider.ts';

type CommandConfig = z.output<typeof commandProviderSchema>;

/** Output kept per stream (the end of it). */
const KEEP_BYTES = 2000;

export class CommandProvider implements MetricProvider {
  constructor(private readonly cfg: CommandConfig) {}

  measure(ctx: MeasureContext): Promise<ProviderResult> {
    const env = { ...process.env, ...this.cfg.env, CUTOVER_SERVICE: ctx.service, CUTOVER_REVISION: String(ctx.revision.number), CUTOVER_VERSION: ctx.revision.version };
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', this.cfg.run], { cwd: this.cfg.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-KEEP_BYTES)));
      child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-KEEP_BYTES)));
      let timedOut = false;
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, this.cfg.timeout);
      const onAbort = () => kill();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) kill();
      child.on('error', (e) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        const output = describeOutput(out, err);
        if (timedOut) return reject(new Error(`timed out after ${this.cfg.timeout}ms${output ? `; ${output}` : ''}`));
        if (ctx.signal.aborted) return reject(new Error('stopped with the controller'));
        if (code !== 0) return resolve({ value: code, verdict: 'Failed', message: `exit ${code ?? signal}${output ? `; ${output}` : ''}` });
        resolve({ value: commandResult(out), message: `exit 0${output ? `; ${output}` : ''}` });
      });
    });
  }
}

/** A number on the last non-empty line of stdout, else the trimmed stdout. */
export function commandResult(stdout: string): unknown {
  const last = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  return last !== '' && Number.isFinite(Number(last)) ? Number(last) : stdout.trim();
}

function describeOutput(out: string, err: string): string {
  const parts = [];
  if (out.trim()) parts.push(`stdout: ${trim(out)}`);
  if (err.trim()) parts.push(`stderr: ${trim(err)}`);
  return parts.join('; ');
}

function trim(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > 300 ? `...${t.slice(-297)}` : t;
}
