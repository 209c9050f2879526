/** `cutover/openfeature`: the OpenFeature provider for Node, and the evaluator it runs. */
export { CutoverProvider, type CutoverProviderOptions } from './provider.ts';
export { FlagEvaluator, type Evaluation } from '../evaluator.ts';
export { toUnleashContext } from '../openfeature-context.ts';
export type { FlagContext } from '../context.ts';
export type { FeaturesDocument, FeatureDefinition, Segment } from '../model.ts';
