/**
 * The page's only way to the control API: same-origin fetch with the session
 * cookie, and the session's CSRF token in a header on every write.
 */
import type { InstanceStatus, Revision, RolloutEvent, RolloutStatus } from '../../src/rollout/types.ts';
import type { TrafficSample } from '../../src/api/traffic-history.ts';
import type { FlagEvent, FlagsUpdate, FlagView } from '../../src/flags/records.ts';
import type { Constraint, FeatureDefinition, StrategyDefinition, VariantDefinition } from '../../src/flags/model.ts';

export type { InstanceStatus, Revision, RolloutEvent, RolloutStatus, TrafficSample };
export type { Constraint, FeatureDefinition, FlagEvent, FlagsUpdate, FlagView, StrategyDefinition, VariantDefinition };

/** What a flag change answers (POST /api/v1/flags/:name/enable|disable|rollout). */
export interface FlagChangeAnswer {
  flag: FeatureDefinition | null;
  events: FlagEvent[];
}

export type Role = 'admin' | 'viewer';

export interface SessionInfo {
  role: Role;
  csrf: string | null;
}

/** An error answer of the API, with its stable code and hint. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;

export function setCsrf(token: string | null): void {
  csrf = token;
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-cutover-csrf'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'API_UNREACHABLE', 'cannot reach the control API', 'is `cutover up` running?');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string; hint?: string };
    throw new ApiError(res.status, e.code ?? 'HTTP_' + res.status, e.message ?? `the API answered ${res.status}`, e.hint);
  }
  return data as T;
}

export const svcPath = (service: string) => `/api/v1/services/${encodeURIComponent(service)}`;
export const flagPath = (flag: string) => `/api/v1/flags/${encodeURIComponent(flag)}`;

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.message}${err.hint ? ` (${err.hint})` : ''} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
