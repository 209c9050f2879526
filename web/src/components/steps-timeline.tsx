/** A canary's steps as a timeline: done, current (with the pause countdown), to come. */
import { useEffect, useState } from 'preact/hooks';
import type { RolloutStatus } from '../api.ts';
import { duration } from '../format.ts';

type Step = NonNullable<RolloutStatus['stepPlan']>[number];

function describe(step: Step): string {
  if ('setWeight' in step) return `set weight ${step.setWeight}%`;
  if ('pause' in step) return step.pause.duration !== undefined ? `pause ${duration(step.pause.duration)}` : 'pause until promoted';
  if ('analysis' in step) return `analysis ${step.analysis.templates.join(', ')}`;
  if ('setFlag' in step) return `flag ${step.setFlag.name} ${step.setFlag.rollout !== undefined ? `on for ${step.setFlag.rollout}%` : step.setFlag.enabled ? 'on' : 'off'}`;
  const c = step.setCanaryScale;
  return `canary scale ${c.replicas !== undefined ? `${c.replicas} instances` : c.weight !== undefined ? `${c.weight}%` : 'matches weight'}`;
}

export function StepsTimeline({ status: s }: { status: RolloutStatus }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  const plan = s.stepPlan ?? [];
  if (s.strategy !== 'canary' || plan.length === 0) {
    return <p class="muted">Strategy {s.strategy}: no canary steps.</p>;
  }
  const active = s.canaryRevision !== null;
  return (
    <ol class="timeline" aria-label="canary steps">
      {plan.map((step, i) => {
        const state = !active || i < s.stepIndex ? 'done' : i === s.stepIndex ? 'current' : 'todo';
        const countdown = state === 'current' && s.pauseEndsAt ? ` — ${duration(s.pauseEndsAt - now)} left` : '';
        return (
          <li key={i} class={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            <span class="step-n">{i + 1}</span>
            <span>
              {describe(step)}
              {countdown}
            </span>
            <span class="visually-hidden">{state === 'done' ? ' (done)' : state === 'current' ? ' (current)' : ''}</span>
          </li>
        );
      })}
    </ol>
  );
}
