/**
 * Control-plane vocabulary, shared by the controller, the store, the API and
 * the CLI. Names follow Argo Rollouts where one exists.
 */
import type { CanaryStep, StrategyName } from '../config/schema.ts';
import type { CertificateInfo, ServiceStats } from '../proxy/contract.ts';
import type { AnalysisRunState, Phase, Revision, RolloutEvent } from '../store/records.ts';
import type { ExperimentReport } from './experiment-report.ts';
import type { ShadowReport } from './traffic-reports.ts';

export type { Phase, Revision, RolloutEvent, Verdict } from '../store/records.ts';

export interface RevisionStatus {
  number: number;
  version: string;
  /**
   * "stable", "canary" (the revision being rolled out), "preview" (blue-green before promotion), "shadow" (gets
   * copies of requests, serves no user) or "old" (kept for undo).
   */
  role: 'stable' | 'canary' | 'preview' | 'shadow' | 'old';
  desired: number;
  ready: number;
  /** Share of traffic, percent 0..100. */
  weight: number;
}

/** What `cutover status --json` prints per service. */
export interface RolloutStatus {
  service: string;
  phase: Phase;
  message: string;
  strategy: StrategyName;
  stableRevision: { number: number; version: string } | null;
  canaryRevision: { number: number; version: string } | null;
  /** Percent of traffic on the canary revision (0 when none). */
  weight: number;
  /** Index of the current canary step; equals steps when all are done. */
  stepIndex: number;
  steps: number;
  revisions: RevisionStatus[];
  /** Analysis runs of the current (or last) rollout, each metric with its counts and last measurements. */
  analysis: AnalysisRunState[];
  updatedAt: number;
  /** The expand/contract migration tied to the rollout while it is not done (its file and step), else null. */
  migration?: { file: string; step: 'started' | 'completing' | 'rollingBack' } | null;
  /** Canary only: the steps of this rollout as configured (pause durations in ms), for the dashboard's timeline. */
  stepPlan?: CanaryStep[];
  /** Canary only: when the current timed pause ends (ms since the epoch); null outside a timed pause. */
  pauseEndsAt?: number | null;
  /**
   * HTTPS services in `GET /api/v1/services` and `cutover status`: each certificate the proxy serves for the service
   * now (after any reload), with its subject, names and expiry. Never key material.
   */
  certificates?: ServiceCertificate[];
  /**
   * Only on the status a deploy, undo or retry returns: the revision number
   * that request started rolling out (undo: the revision it goes back to).
   * The status is the one of the tick that applied the request.
   */
  rolloutRevision?: number;
}

/** A certificate the proxy serves for a service: what the proxy reports, and whose it is. */
export interface ServiceCertificate extends CertificateInfo {
  service: string;
}

export interface DeployRequest {
  version: string;
  run?: string;
  cwd?: string;
  env?: Record<string, string>;
  strategy?: StrategyName;
  migration?: string;
  /** Image of the new revision (docker runtime); pulled if missing and recorded by digest. */
  image?: string;
}

/** One transition of a simulated rollout (`cutover deploy --dry-run`). */
export interface PlannedTransition {
  type: string;
  reason: string;
  /** Instances per revision number after this transition. */
  scale: Record<number, number>;
  /** Traffic percent per revision number after this transition. */
  weights: Record<number, number>;
}

/** One instance as the API shows it (`GET /api/v1/services/:service/instances`). */
export interface InstanceStatus {
  id: string;
  service: string;
  revision: number;
  version: string;
  pid: number;
  /** Where it is reached: 127.0.0.1 for local processes, the host's address with `hosts:`. */
  host: string;
  port: number;
  /** The runtime's lifecycle state: starting, ready, unready, restarting, failed, stopping. */
  state: string;
  ready: boolean;
  restarts: number;
  /** When the current process started (ms since the epoch). */
  startedAt: number;
}

/** What the API and CLI need from the control plane. */
export interface ControlPlane {
  status(service?: string): RolloutStatus[];
  deploy(service: string, req: DeployRequest): Promise<RolloutStatus>;
  /** The transitions `deploy` would go through, without doing anything. */
  dryRun(service: string, req: DeployRequest): { revision: Omit<Revision, 'configHash' | 'createdAt'> & Partial<Revision>; steps: PlannedTransition[] };
  /** Skip the current pause (or with full, all remaining steps). */
  promote(service: string, opts?: { full?: boolean; variant?: string }): Promise<RolloutStatus>;
  abort(service: string): Promise<RolloutStatus>;
  /** Restart an aborted rollout from its first step. */
  retry(service: string): Promise<RolloutStatus>;
  pause(service: string): Promise<RolloutStatus>;
  resume(service: string): Promise<RolloutStatus>;
  /** Roll back to the previous (or a given) revision: a new rollout of that revision's spec. */
  undo(service: string, opts?: { toRevision?: number }): Promise<RolloutStatus>;
  history(service: string): Revision[];
  /** What the running (or last) shadow rollout's comparison found. */
  shadowReport(service: string): Promise<ShadowReport>;
  /** The running (or last) experiment's figures and statistics; null when there is none. */
  experimentReport(service: string): Promise<(ExperimentReport & { service: string; running: boolean }) | null>;
  events(opts?: { service?: string; sinceId?: number; limit?: number }): RolloutEvent[];
  /** The instances the runtime manages now (of one service, or all). */
  instances(service?: string): InstanceStatus[];
  /** The last `lines` lines of an instance's log file. */
  instanceLog(service: string, id: string, lines: number): Promise<string[]>;
  /** The proxy's traffic figures per service and revision (keyed by revision number), over its sliding window. */
  trafficStats(): Promise<ServiceStats[]>;
  /** The certificates the proxy serves for the HTTPS services (or one service) now. */
  certificates(service?: string): Promise<ServiceCertificate[]>;
}
