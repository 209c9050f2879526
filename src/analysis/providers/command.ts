/**
 * The command provider: a smoke test run with `sh -c` and a timeout. Exit 0 is
 * Successful unless conditions say otherwise; a number on the last line of
 * stdout becomes `result` (else the trimmed stdout). A non-zero exit is a
 * Failed measurement; a timeout or a command that cannot start is an Error.
 * The output is kept with the measurement, trimmed.
 */
import type { z } from 'zod';
import type { commandProviderSchema } from '../../config/analysis-schema.ts';
import type { MeasureContext, MetricProvider, ProviderResult } from './provider.ts';
import { describeOutput, runCommand } from '../../shared/run-command.ts';

type CommandConfig = z.output<typeof commandProviderSchema>;

export class CommandProvider implements MetricProvider {
  constructor(private readonly cfg: CommandConfig) {}

  async measure(ctx: MeasureContext): Promise<ProviderResult> {
    const env = { ...process.env, ...this.cfg.env, CUTOVER_SERVICE: ctx.service, CUTOVER_REVISION: String(ctx.revision.number), CUTOVER_VERSION: ctx.revision.version };
    const o = await runCommand({ run: this.cfg.run, cwd: this.cfg.cwd, env, timeoutMs: this.cfg.timeout, signal: ctx.signal });
    const output = describeOutput(o);
    if (o.timedOut) throw new Error(`timed out after ${this.cfg.timeout}ms${output ? `; ${output}` : ''}`);
    if (o.stopped) throw new Error('stopped with the controller');
    if (o.code !== 0) return { value: o.code, verdict: 'Failed', message: `exit ${o.code ?? o.signal}${output ? `; ${output}` : ''}` };
    return { value: commandResult(o.stdout), message: `exit 0${output ? `; ${output}` : ''}` };
  }
}

/** A number on the last non-empty line of stdout, else the trimmed stdout. */
export function commandResult(stdout: string): unknown {
  const last = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  return last !== '' && Number.isFinite(Number(last)) ? Number(last) : stdout.trim();
}
