/**
 * The narrow interfaces the controller drives. The real implementations
 * satisfy them structurally: the in-process proxy (`createProxy`) and
 * `adminClientRouter(new ProxyAdminClient(...))` are TrafficRouters;
 * `InstanceManager` is an InstanceRuntime; src/migrate provides MigrationHooks.
 */
import type { DrainResult, ListenerSpec, ServiceRoute, ServiceStats } from '../proxy/types.ts';
import type { InstanceRecord, InstanceSpec, StopOptions } from '../runtime/provider.ts';
import type { ManagedInstance, ManageOptions } from '../runtime/managed-instance.ts';

export type { ManagedInstance, ManageOptions };

/** The full desired proxy state; the router swaps it atomically. */
export interface RoutesState {
  listeners: ListenerSpec[];
  services: ServiceRoute[];
}

export interface TrafficRouter {
  apply(state: RoutesState): Promise<void>;
  /** Stops new requests to the instance; resolves when in-flight work ends or is cut at the timeout. */
  drain(id: string, timeoutMs: number): Promise<DrainResult>;
  stats(): Promise<ServiceStats[]> | ServiceStats[];
  /** The table the proxy serves now (it outlives a controller restart: what it routes to was ready when last seen). */
  routes(): Promise<RoutesState> | RoutesState;
}

export interface InstanceRuntime {
  start(spec: InstanceSpec, opts: ManageOptions): Promise<ManagedInstance>;
  /** Null when the instance's process is gone. */
  adopt(record: InstanceRecord, opts: ManageOptions): ManagedInstance | null;
  stop(id: string, opts: StopOptions): Promise<void>;
  list(filter?: { service?: string; revision?: string }): ManagedInstance[];
  on(event: 'change', listener: (inst: ManagedInstance) => void): unknown;
  off(event: 'change', listener: (inst: ManagedInstance) => void): unknown;
}

/** Expand/contract migrations tied to a revision (pgroll's start / complete / rollback). */
export interface MigrationHooks {
  /** Before the new revision's instances start; the env is given to them (old instances keep theirs). */
  start(file: string): Promise<{ env: Record<string, string> }>;
  /** After the rollout succeeded. */
  complete(file: string): Promise<void>;
  /** After the rollout was aborted or failed. */
  rollback(file: string): Promise<void>;
}

/** The ProxyAdminClient's shape, declared here so the controller does not depend on its module. */
export interface ProxyAdminLike {
  putRoutes(state: RoutesState): Promise<void>;
  drain(id: string, timeoutMs: number): Promise<DrainResult>;
  stats(): Promise<ServiceStats[]>;
  getRoutes(): Promise<RoutesState>;
}

/** A TrafficRouter over a proxy running in its own process (`cutover up`). */
export function adminClientRouter(client: ProxyAdminLike): TrafficRouter {
  return {
    apply: (state) => client.putRoutes(state),
    drain: (id, timeoutMs) => client.drain(id, timeoutMs),
    stats: () => client.stats(),
    routes: () => client.getRoutes(),
  };
}
