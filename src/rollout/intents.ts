/**
 * What users ask for through the API (deploy, promote, abort, retry, pause,
 * resume, undo). The controller validates a request against the current state
 * (`checkIntent` throws a typed error at once), queues it, and the reconcile
 * loop folds the queue into the state (`applyIntent`) before planning. Pure.
 */
import type { StrategyName } from '../config/schema.ts';
import type { MigrationState, PlannedEvent, RolloutState } from './state.ts';
import { inProgress, keepEnv, startRollout } from './state.ts';
import { MigrationBusyError, NoRolloutError, NothingToRetryError } from './errors.ts';

export type Intent =
  | { type: 'deploy'; revision: number; strategy: StrategyName; migration: MigrationState | null; reason: string }
  | { type: 'promote'; full: boolean; variant?: string }
  | { type: 'abort' }
  | { type: 'retry'; migration: MigrationState | null }
  | { type: 'pause' }
  | { type: 'resume' }
  /** Back to `revision`: instant (blue-green old set still running) or a new rollout of it. */
  | { type: 'undo'; revision: number; instant: boolean; scaleDownDelayMs: number; strategy: StrategyName };

/** Throws when the intent cannot apply to `state` (409s). */
export function checkIntent(state: RolloutState, intent: Intent): void {
  const service = state.service;
  switch (intent.type) {
    case 'deploy':
    case 'undo': {
      // A pending migration must finish or roll back first; undo to the stable revision rolls it back itself.
      // So does an instant undo to a blue-green old set whose migration has not completed yet (it waits for that set to go).
      const m = state.migration;
      const rollsBack = intent.type === 'undo' && ((intent.revision === state.stable && m?.step === 'started') || (intent.instant && m?.step === 'completing'));
      if (m && m.step !== 'done' && !rollsBack) throw new MigrationBusyError(service, m.file);
      return;
    }
    case 'promote':
    case 'abort':
    case 'pause':
      if (!inProgress(state) || (intent.type !== 'promote' && state.stable === null)) throw new NoRolloutError(service, intent.type, state.phase);
      return;
    case 'resume':
      if (!inProgress(state) || !state.userPaused) throw new NoRolloutError(service, 'resume', state.phase);
      return;
    case 'retry':
      if (!state.aborted || state.canary === null) throw new NothingToRetryError(service);
      return;
  }
}

/**
 * The revision a deploy, undo or retry starts rolling out (what `deploy
 * --wait` waits for), read before the intent is applied; undefined for the others.
 */
export function rolloutRevision(state: RolloutState, intent: Intent): number | undefined {
  if (intent.type === 'deploy' || intent.type === 'undo') return intent.revision;
  if (intent.type === 'retry') return state.canary ?? undefined;
  return undefined;
}

/** Folds one intent into the state. Intents that no longer apply (the state moved on) change nothing. */
export function applyIntent(state: RolloutState, intent: Intent, now: number): { state: RolloutState; events: PlannedEvent[] } {
  switch (intent.type) {
    case 'deploy':
      return deploy(state, intent, now);
    case 'promote':
      if (!inProgress(state)) return { state, events: [] };
      return { state: { ...state, promote: intent.full ? 'full' : 'step', ...(intent.variant !== undefined ? { promoteVariant: intent.variant } : {}), userPaused: false, progressAt: now }, events: [] };
    case 'abort':
      if (!inProgress(state) || state.stable === null) return { state, events: [] };
      return {
        state: { ...state, aborted: true, phase: 'Degraded', message: 'aborted by user', userPaused: false, promote: 'none', migration: rollBack(state.migration) },
        events: [{ type: 'RolloutAborted', reason: 'aborted by user', revision: state.canary! }],
      };
    case 'retry':
      if (!state.aborted || state.canary === null) return { state, events: [] };
      return {
        state: { ...startRollout(state, state.canary, state.strategy, now), migration: intent.migration, revisionEnv: keepEnv(state, state.canary, intent.migration?.env) },
        events: [{ type: 'RolloutRetried', reason: `restarting revision ${state.canary} from its first step`, revision: state.canary }],
      };
    case 'pause':
      if (!inProgress(state) || state.userPaused) return { state, events: [] };
      return { state: { ...state, userPaused: true }, events: [{ type: 'Paused', reason: 'paused by user', revision: state.canary! }] };
    case 'resume':
      if (!state.userPaused) return { state, events: [] };
      return { state: { ...state, userPaused: false, progressAt: now }, events: [{ type: 'Resumed', reason: 'resumed by user', revision: state.canary! }] };
    case 'undo':
      return undo(state, intent, now);
  }
}

function deploy(state: RolloutState, intent: Extract<Intent, { type: 'deploy' }>, now: number) {
  const events: PlannedEvent[] = [];
  if (inProgress(state) && state.canary !== intent.revision) {
    events.push({ type: 'RolloutSuperseded', reason: `revision ${intent.revision} replaces the rollout of ${state.canary}`, revision: state.canary! });
  }
  if (state.old !== null) events.push({ type: 'ScaledDownOld', reason: `a new rollout removes old revision ${state.old}`, revision: state.old });
  const next = { ...startRollout(state, intent.revision, intent.strategy, now), old: null, scaleDownAt: null, migration: intent.migration, revisionEnv: keepEnv(state, intent.revision, intent.migration?.env) };
  events.push({ type: 'RolloutStarted', reason: intent.reason, revision: intent.revision });
  return { state: next, events };
}

function undo(state: RolloutState, intent: Extract<Intent, { type: 'undo' }>, now: number) {
  if (intent.instant && state.old === intent.revision && !inProgress(state)) {
    const next: RolloutState = {
      ...state,
      stable: intent.revision,
      old: state.stable,
      scaleDownAt: now + intent.scaleDownDelayMs,
      canary: null,
      aborted: false,
      phase: 'Healthy',
      message: `switched back to revision ${intent.revision}`,
      // Not completed yet (it waits for the old set to go): the revision left behind is the one whose migration must go.
      migration: state.migration?.step === 'completing' ? { ...state.migration, step: 'rollingBack' } : state.migration,
    };
    return { state: next, events: [{ type: 'RolledBack', reason: `instant switch back to revision ${intent.revision} (old set still running)`, revision: intent.revision }] };
  }
  if (intent.revision === state.stable) {
    const events: PlannedEvent[] = inProgress(state) ? [{ type: 'RolloutAborted', reason: `undo: back to revision ${intent.revision}`, revision: state.canary! }] : [];
    events.push({ type: 'RolledBack', reason: `revision ${intent.revision} serves all traffic again`, revision: intent.revision });
    const next = { ...state, canary: null, aborted: false, userPaused: false, promote: 'none' as const, migration: inProgress(state) ? rollBack(state.migration) : state.migration };
    return { state: next, events };
  }
  return deploy(state, { type: 'deploy', revision: intent.revision, strategy: intent.strategy, migration: null, reason: `undo: rolling back to revision ${intent.revision}` }, now);
}

function rollBack(m: MigrationState | null): MigrationState | null {
  return m && m.step === 'started' ? { ...m, step: 'rollingBack' } : m;
}
