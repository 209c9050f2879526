/**
 * What an experiment counted per variant since it started: unique users, requests, errors, and for each goal the
 * unique users who reached it. Kept by the proxy across route-table swaps (reset when the variants change), read
 * through its stats.
 */
import type { ExperimentCounts } from '../contract.ts';
import type { CompiledExperiment } from './experiment-routing.ts';
import { goalMatches } from './experiment-routing.ts';

/** Unique users remembered per variant (and per goal) at most; beyond it new users are no longer counted as users. */
export const MAX_USERS = 1_000_000;

interface VariantCounts {
  revision: string;
  users: Set<string>;
  requests: number;
  errors: number;
  goals: Map<string, Set<string>>;
}

export class ExperimentCounter {
  private readonly variants = new Map<string, VariantCounts>();

  /** `signature` identifies the experiment (its variants): a counter is reused only for the same one. */
  constructor(readonly signature: string) {}

  record(e: CompiledExperiment, revision: string, key: string, method: string, target: string, status: number, failed: boolean): void {
    const variant = e.variantOf.get(revision);
    if (variant === undefined) return;
    let v = this.variants.get(variant);
    if (!v) this.variants.set(variant, (v = { revision, users: new Set(), requests: 0, errors: 0, goals: new Map() }));
    v.requests++;
    if (failed) v.errors++;
    if (v.users.size < MAX_USERS) v.users.add(key);
    for (const g of e.goals) {
      if (!goalMatches(g, method, target, status)) continue;
      let set = v.goals.get(g.name);
      if (!set) v.goals.set(g.name, (set = new Set()));
      if (set.size < MAX_USERS) set.add(key);
    }
  }

  snapshot(e: CompiledExperiment): ExperimentCounts {
    const out: ExperimentCounts = { variants: {} };
    for (const [revision, variant] of e.variantOf) {
      const v = this.variants.get(variant);
      out.variants[variant] = {
        revision,
        users: v?.users.size ?? 0,
        requests: v?.requests ?? 0,
        errors: v?.errors ?? 0,
        goals: Object.fromEntries(e.goals.map((g) => [g.name, v?.goals.get(g.name)?.size ?? 0])),
      };
    }
    return out;
  }
}
