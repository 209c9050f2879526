/**
 * The changes one can ask of a flag, as pure functions from its definition
 * (undefined: it does not exist) to the new one (null: delete it). A rollout
 * (the CLI, the API, later a canary step) and an undo use the same edits.
 */
import { FlagNotFoundError, FlagRolloutAmbiguousError } from './errors.ts';
import { parseFeature, type FeatureDefinition } from './model.ts';

export type FlagEdit =
  /** Replace the definition (validated, normalised). */
  | { op: 'set'; name: string; definition: unknown }
  | { op: 'enable'; name: string }
  | { op: 'disable'; name: string }
  /** On for this percentage of users (flexibleRollout, default stickiness); also turns the flag on. */
  | { op: 'rollout'; name: string; percent: number }
  | { op: 'delete'; name: string }
  /** Put back what an event's `before` says (null: the flag did not exist). */
  | { op: 'restore'; name: string; definition: FeatureDefinition | null };

export function applyEdit(current: FeatureDefinition | undefined, edit: FlagEdit): FeatureDefinition | null {
  const existing = () => {
    if (!current) throw new FlagNotFoundError(edit.name);
    return current;
  };
  switch (edit.op) {
    case 'set':
      return parseFeature(edit.definition, edit.name, `the definition of "${edit.name}"`);
    case 'enable':
      return { ...existing(), enabled: true };
    case 'disable':
      return { ...existing(), enabled: false };
    case 'delete':
      existing();
      return null;
    case 'restore':
      return edit.definition;
    case 'rollout':
      return withRollout(existing(), edit.percent);
  }
}

/**
 * A flag with no strategies or only `default` ones gets one flexibleRollout; a
 * flag with exactly one flexibleRollout gets its percentage changed (its
 * constraints, stickiness and variants kept). Anything else is ambiguous.
 */
function withRollout(flag: FeatureDefinition, percent: number): FeatureDefinition {
  const rollout = String(percent);
  const flexible = flag.strategies.filter((s) => s.name === 'flexibleRollout');
  let strategies;
  if (flag.strategies.every((s) => s.name === 'default' && !s.constraints?.length && !s.segments?.length)) {
    strategies = [{ name: 'flexibleRollout', parameters: { rollout, stickiness: 'default', groupId: flag.name }, constraints: [] }];
  } else if (flexible.length === 1) {
    strategies = flag.strategies.map((s) => (s === flexible[0] ? { ...s, parameters: { ...s.parameters, rollout } } : s));
  } else {
    const names = flag.strategies.map((s) => s.name).join(', ');
    throw new FlagRolloutAmbiguousError(flag.name, flexible.length > 1 ? `it has ${flexible.length} flexibleRollout strategies` : `its strategies (${names}) have no flexibleRollout to change`);
  }
  return parseFeature({ ...flag, enabled: true, strategies }, flag.name);
}
