/**
 * A service's shadow comparison across route-table swaps: the rules, the limits and the diff store, and how many
 * copies are in flight (beyond `maxInFlight` copies are dropped and counted, never queued, so a slow shadow can
 * neither delay users nor grow the proxy's memory).
 */
import type { ServiceRoute } from '../contract.ts';
import { DiffStore } from './diff-store.ts';
import { compileRules, type CompareRules } from './response-diff.ts';

export const DEFAULT_MAX_IN_FLIGHT = 64;
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export class MirrorSession {
  readonly store: DiffStore;
  readonly rules: CompareRules;
  readonly maxBodyBytes: number;
  readonly maxInFlight: number;
  inFlight = 0;

  constructor(readonly signature: string, mirror: NonNullable<ServiceRoute['mirror']>) {
    const c = mirror.compare ?? {};
    this.store = new DiffStore(mirror.revision);
    this.rules = compileRules(c);
    this.maxBodyBytes = c.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxInFlight = mirror.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }
}

/** What must stay the same for a session to go on across a table swap. */
export function mirrorSignature(mirror: NonNullable<ServiceRoute['mirror']>): string {
  return JSON.stringify([mirror.revision, mirror.compare ?? null, mirror.maxInFlight ?? null]);
}
