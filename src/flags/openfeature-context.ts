/**
 * OpenFeature's evaluation context as Unleash's: userId, sessionId,
 * remoteAddress, environment, appName and currentTime are Unleash's fields;
 * targetingKey is the userId when no userId is given; every other key is a
 * property (a nested `properties` object is merged in; objects become JSON).
 * OFREP and the shipped provider both map contexts with this function.
 */
import type { FlagContext } from './context.ts';

const FIELDS = new Set(['userId', 'sessionId', 'remoteAddress', 'environment', 'appName']);

type Prop = string | number | boolean;

function prop(v: unknown): Prop | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

export function toUnleashContext(ctx: Record<string, unknown> | undefined): FlagContext {
  const out: FlagContext = {};
  const properties: Record<string, Prop> = {};
  for (const [k, v] of Object.entries(ctx ?? {})) {
    if (v === null || v === undefined || k === 'targetingKey') continue;
    if (FIELDS.has(k)) out[k] = String(prop(v));
    else if (k === 'currentTime') out.currentTime = v instanceof Date ? v.toISOString() : String(v);
    else if (k === 'properties' && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) {
        const p = prop(pv);
        if (p !== undefined) properties[pk] = p;
      }
    } else {
      const p = prop(v);
      if (p !== undefined) properties[k] = p;
    }
  }
  if (out.userId === undefined && ctx?.targetingKey !== undefined && ctx.targetingKey !== null && ctx.targetingKey !== '') out.userId = String(ctx.targetingKey);
  if (Object.keys(properties).length) out.properties = properties;
  return out;
}
