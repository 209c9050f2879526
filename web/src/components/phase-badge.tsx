import type { Phase } from '../../../src/rollout/types.ts';
import { PHASE_HINT } from '../format.ts';

/** The phase as colour and text (never colour alone). */
export function PhaseBadge({ phase }: { phase: Phase }) {
  return (
    <span class={`phase phase-${phase.toLowerCase()}`} title={PHASE_HINT[phase]} data-phase={phase}>
      <span aria-hidden="true" class="phase-dot" />
      {phase}
    </span>
  );
}
