/**
 * The narrow interfaces the controller drives. The real implementations
 * satisfy them structurally: the in-process proxy (`createProxy`), the admin
 * client of a proxy process (`ProxyAdminClient`) and the engine's
 * `ProxySupervisor` are TrafficRouters; `InstanceManager` is an
 * InstanceRuntime; src/migrate provides MigrationHooks.
 */
import type { CertificateInfo, DrainResult, RoutesState, ServiceStats } from '../proxy/contract.ts';
import type { InstanceRecord, InstanceSpec, StopOptions } from '../runtime/provider.ts';
import type { ManagedInstance, ManageOptions } from '../runtime/managed-instance.ts';
import type { FlagWrite } from '../store/store.ts';
import type { FlagSet } from './state.ts';
import type { FlagDocument } from './route-builder.ts';

export type { ManagedInstance, ManageOptions, RoutesState };

export interface TrafficRouter {
  /** The full desired state; the proxy swaps it atomically. */
  apply(state: RoutesState): Promise<void>;
  /** Stops new requests to the instance; resolves when in-flight work ends or is cut at the timeout. */
  drain(id: string, timeoutMs: number): Promise<DrainResult>;
  stats(): Promise<ServiceStats[]> | ServiceStats[];
  /** The table the proxy serves now (it outlives a controller restart: what it routes to was ready when last seen). */
  routes(): Promise<RoutesState> | RoutesState;
  /** The certificates its HTTPS listeners serve now; routers without HTTPS need not have it. */
  certificates?(): Promise<CertificateInfo[]> | CertificateInfo[];
}

export interface InstanceRuntime {
  start(spec: InstanceSpec, opts: ManageOptions): Promise<ManagedInstance>;
  /** Null when the instance's process is gone. */
  adopt(record: InstanceRecord, opts: ManageOptions): ManagedInstance | null;
  stop(id: string, opts: StopOptions): Promise<void>;
  list(filter?: { service?: string; revision?: number }): ManagedInstance[];
  on(event: 'change', listener: (inst: ManagedInstance) => void): unknown;
  off(event: 'change', listener: (inst: ManagedInstance) => void): unknown;
}

/** Makes an image present where instances run and pins it by digest (the docker runtime; a pull failure throws before anything is rolled out). */
export interface ImageResolver {
  pullImage(image: string, onProgress?: (line: string) => void): Promise<{ image: string; digest: string }>;
  /** Builds `tag` from a context directory where instances run (a service's `build:`). */
  buildImage?(req: { context: string; dockerfile?: string; args?: Record<string, string>; tag: string }, onProgress?: (line: string) => void): Promise<{ image: string; digest: string }>;
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

/** A flag change a rollout makes: a setFlag step, or putting a flag back as it was (`restore`; null deletes it). */
export type RolloutFlagChange = FlagSet | { name: string; restore: unknown };

/** Prepared flag changes: what to write (with the transition) and each changed flag's definition from before. */
export interface PreparedFlags extends FlagWrite {
  before: Record<string, unknown>;
}

/** The flags a rollout may change (canary setFlag steps); src/flags provides it. */
export interface RolloutFlags {
  /** Validates the changes against the current flags and writes nothing; throws a CutoverError when one cannot apply. */
  prepare(changes: RolloutFlagChange[], actor: string, reason: string): PreparedFlags;
  /** After the store committed a prepared change with a transition: publish it to SDKs and providers. */
  adopt(): void;
  /** A flag as a flag match rule carries it to the proxy; undefined when there is no such flag. */
  document(name: string): FlagDocument | undefined;
}
