/**
 * What a valid config may still do that the user probably did not mean: `cutover validate` prints these as
 * warnings (the file is accepted; nothing here is an error).
 */
import type { ConfigIssue } from '../errors.ts';
import type { CutoverConfig } from './schema.ts';
import { SAFE_METHODS } from './shadow-schema.ts';

export function strategyWarnings(config: CutoverConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const [name, svc] of Object.entries(config.services)) {
    const shadow = svc.strategy.shadow;
    if (!shadow) continue;
    const unsafe = shadow.methods.filter((m) => !SAFE_METHODS.includes(m));
    if (unsafe.length > 0) {
      out.push({
        path: `services.${name}.strategy.shadow.methods`,
        value: unsafe,
        message: `${unsafe.join(', ')} ${unsafe.length === 1 ? 'is' : 'are'} copied to the shadow: each such request runs its side effect twice, once on stable and once on the shadow (writes to a shared database, emails, payments)`,
        hint: `mirror only ${SAFE_METHODS.join(', ')}, or point the shadow at its own database and outbound stubs`,
      });
    }
  }
  return out;
}
