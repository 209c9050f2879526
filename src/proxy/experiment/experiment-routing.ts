/**
 * An experiment's compiled routing: which variant each revision is, whose key a user is known by, and the goals.
 * A user is put on the ring by MurmurHash3 (the hash Unleash buckets users with) of "<service>:<key>", at 0.01 %
 * granularity, so the same user lands on the same variant on every request, proxy and restart. A user with no key
 * in cookie mode gets a generated id, sent back in that cookie.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceRoute } from '../contract.ts';
import { cookieValue, headerValue } from '../headers.ts';
import { murmur3 } from '../../shared/murmur3.ts';

export interface CompiledGoal {
  readonly name: string;
  readonly method: string | undefined;
  readonly path: string;
  readonly prefix: boolean;
  /** Exact status, or the class's hundred (2 for 2xx) when `byClass`. */
  readonly status: number;
  readonly byClass: boolean;
}

export interface CompiledExperiment {
  readonly cookie: string | undefined;
  /** Lower-cased (request header names are). */
  readonly header: string | undefined;
  readonly variantOf: ReadonlyMap<string, string>;
  readonly goals: readonly CompiledGoal[];
}

/** A year: long enough for an experiment, short enough not to pin a user forever. */
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;

export function compileExperiment(spec: NonNullable<ServiceRoute['experiment']>): CompiledExperiment {
  return {
    cookie: spec.stickyBy.cookie,
    header: spec.stickyBy.header?.toLowerCase(),
    variantOf: new Map(Object.entries(spec.variants)),
    goals: spec.goals.map((g) => ({
      name: g.name,
      method: g.method,
      prefix: g.path.endsWith('*'),
      path: g.path.endsWith('*') ? g.path.slice(0, -1) : g.path,
      byClass: typeof g.status === 'string',
      status: typeof g.status === 'string' ? Number(g.status[0]) : g.status,
    })),
  };
}

/** The user's key and whether it was generated here (then the response must set it). */
export function userKey(e: CompiledExperiment, headers: string[]): { key: string; generated: boolean } | undefined {
  if (e.header !== undefined) {
    const v = headerValue(headers, e.header);
    return v ? { key: v, generated: false } : undefined;
  }
  const v = cookieValue(headerValue(headers, 'cookie'), e.cookie!);
  return v ? { key: v, generated: false } : { key: randomUUID(), generated: true };
}

/** A point on a ring of `totalBp` basis points for the user. */
export function userPoint(service: string, key: string, totalBp: number): number {
  return murmur3(`${service}:${key}`, 0) % totalBp;
}

export function setCookieLine(e: CompiledExperiment, key: string, secure = false): string {
  return `set-cookie: ${e.cookie}=${key}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; SameSite=Lax${secure ? '; Secure' : ''}\r\n`;
}

export function goalMatches(g: CompiledGoal, method: string, target: string, status: number): boolean {
  if (g.method !== undefined && g.method !== method) return false;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (g.prefix ? !path.startsWith(g.path) : path !== g.path) return false;
  return g.byClass ? Math.floor(status / 100) === g.status : status === g.status;
}
