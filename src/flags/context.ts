/**
 * Unleash's evaluation context: the standard fields, and `properties` for the
 * rest. A constraint or a stickiness names a field; it is looked up among the
 * standard fields first, then in properties, and compared as a string.
 */
export interface FlagContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** For DATE_* constraints; now when absent. */
  currentTime?: string | Date;
  properties?: Record<string, string | number | boolean | null | undefined>;
  [field: string]: unknown;
}

/** The context's value for a field as a string, or undefined when it has none (null counts as none). */
export function contextValue(ctx: FlagContext, field: string): string | undefined {
  const v = ctx[field] ?? ctx.properties?.[field];
  return v !== undefined && v !== null ? String(v) : undefined;
}
