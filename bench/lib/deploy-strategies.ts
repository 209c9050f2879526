/** The strategies and service settings both deploys benchmarks use, so their figures stay comparable. */
export const strategies: Record<string, string> = {
  rolling: 'strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }',
  blueGreen: 'strategy: { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 1 } }',
  canary: 'strategy: { canary: { steps: [ { setWeight: 20 }, { pause: { duration: 1s } }, { setWeight: 60 }, { pause: { duration: 1s } } ] } }',
};

/** The service `web` below `services:` (indented by 4), with `strategy`. */
export const service = (strategy: string) => `    replicas: 2
    readiness: { path: /healthz, interval: 200ms, timeout: 1s }
    shutdown: { drainTimeout: 10s, killAfter: 5s }
    progressDeadlineSeconds: 60
    ${strategy}`;
