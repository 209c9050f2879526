/**
 * The cutover.yaml schema: the one source of truth. TypeScript types
 * (`CutoverConfig`, `ServiceConfig`, ...), validation errors (config/load.ts)
 * and the JSON Schema for editors (`cutover schema`) all come from here.
 */
import { z } from 'zod';
import { featureBodySchema, flagName } from '../flags/model.ts';
import { byteSize } from '../shared/byte-size.ts';
import { duration, parseDuration } from '../shared/duration.ts';
import { analysisRefs, analysisRefSchema, backgroundAnalysisSchema, checkAnalysisRefs, legacyAnalysisSchema, serviceAnalysisSchema } from './analysis-schema.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_STATE_DIR } from './defaults.ts';
import { shadowSchema } from './shadow-schema.ts';
import { experimentSchema } from './experiment-schema.ts';
import { proxyLimitsSchema } from './proxy-limits-schema.ts';
import { hostIssues, hostsSchema, sshSettings } from './hosts-schema.ts';
import { notificationsSchema, unknownWebhookServices } from './notifications-schema.ts';

const port = z.number().int().min(1).max(65535);
/** A service name: it appears in instance ids, log file names, metrics labels and URLs. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const envMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

export const probeSchema = z
  .object({
    path: z.string().startsWith('/').optional().describe('HTTP path; any 2xx is healthy. Without it, an open TCP port counts as ready.'),
    interval: duration.default(1000).describe('Time between probes, e.g. 1s'),
    timeout: duration.default(1000).describe('Probe timeout, e.g. 1s'),
    failureThreshold: z.number().int().min(1).default(3),
    successThreshold: z.number().int().min(1).default(1),
  })
  .strict();

export const shutdownSchema = z
  .object({
    drainTimeout: duration.default(30_000).describe('How long in-flight requests may take to finish before they are cut'),
    signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).default('SIGTERM'),
    killAfter: duration.default(10_000).describe('SIGKILL this long after the signal if the process is still there'),
  })
  .strict();

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'write a count like 1 or a percentage like "25%"')]);

export const rollingSchema = z
  .object({
    maxSurge: intOrPercent.default(1).describe('Instances allowed above `replicas` during the rollout'),
    maxUnavailable: intOrPercent.default(0).describe('Instances allowed below `replicas` during the rollout'),
    analysis: analysisRefSchema.optional().describe('Background analysis while the batches roll; a failure rolls back'),
  })
  .strict();

export const blueGreenSchema = z
  .object({
    autoPromotionEnabled: z.boolean().default(true),
    autoPromotionSeconds: z.number().min(0).default(0).describe('With autoPromotionEnabled, wait this long after the preview set is ready'),
    scaleDownDelaySeconds: z.number().min(0).default(30).describe('Keep the old set this long after promotion so undo is instant'),
    previewHeader: z.string().default('x-cutover-preview').describe('Requests with this header set to 1 reach the preview set'),
    previewPort: port.optional().describe('Optional extra port that serves only the preview set'),
    prePromotionAnalysis: analysisRefSchema.optional().describe('Must succeed on the preview set before any user traffic moves'),
    postPromotionAnalysis: analysisRefSchema.optional().describe('Runs after the switch; a failure switches straight back to the previous set'),
  })
  .strict();

/** A deploy hook: a shell command with a timeout, run in the config file's directory unless `cwd` says otherwise. */
export const deployHookSchema = z
  .object({
    run: z.string().min(1).describe('Shell command (sh -c); exit 0 succeeds'),
    timeout: duration.default(60_000).describe('Killed (with what it started) after this long, which counts as a failure'),
    cwd: z.string().optional().describe('Working directory, relative to the config file'),
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const canaryStepSchema = z.union([
  z.object({ setWeight: z.number().min(0).max(100).describe('Percent of traffic to the canary') }).strict(),
  z
    .object({
      pause: z
        .object({ duration: duration.optional().describe('Without a duration the rollout waits for `cutover promote`') })
        .strict(),
    })
    .strict(),
  z
    .object({
      setCanaryScale: z
        .object({
          replicas: z.number().int().min(0).optional(),
          weight: z.number().min(0).max(100).optional(),
          matchTrafficWeight: z.boolean().optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ analysis: analysisRefSchema.describe('Run these analysis templates; the step completes when they succeed') }).strict(),
  z
    .object({
      setFlag: z
        .object({
          name: flagName.describe('A flag Cutover serves (cutover flags list)'),
          enabled: z.boolean().optional().describe('Turn the flag on or off'),
          rollout: z.number().min(0).max(100).optional().describe('On for this percent of users (its flexibleRollout; turns the flag on)'),
        })
        .strict()
        .refine((f) => (f.enabled === undefined) !== (f.rollout === undefined), 'set exactly one of enabled or rollout')
        .describe('Change a flag with the code; an abort, failure or undo of the rollout puts it back as it was'),
    })
    .strict(),
]);

/** The short form (limits on the canary alone) or background analysis templates. */
export const analysisSchema = legacyAnalysisSchema;

export const canarySchema = z
  .object({
    steps: z.array(canaryStepSchema).default([]),
    analysis: z.union([backgroundAnalysisSchema, legacyAnalysisSchema]).optional().describe('Background analysis: { templates, startingStep } or the short form { maxErrorRate, maxP99Ms, ... }'),
    header: z.string().optional().describe('Requests with this header set to 1 always reach the canary'),
    flag: z
      .object({
        name: flagName.describe('A flag Cutover serves'),
        variant: z.string().min(1).optional().describe('Users who get this variant; without it, users for whom the flag is on'),
        userKey: z
          .object({ header: z.string().min(1).optional(), cookie: z.string().min(1).optional() })
          .strict()
          .refine((k) => (k.header === undefined) !== (k.cookie === undefined), 'set exactly one of header or cookie')
          .default({ header: 'x-user-id' })
          .describe("Where the proxy reads the user's id (the flag's userId), as the app's SDK would"),
      })
      .strict()
      .optional()
      .describe("Requests of users who get this flag on (or its variant) always reach the canary: A/B by flag, bucketed as Unleash's SDKs do"),
  })
  .strict();

export { experimentSchema, shadowSchema };

export const strategySchema = z
  .object({
    rolling: rollingSchema.optional(),
    blueGreen: blueGreenSchema.optional(),
    canary: canarySchema.optional(),
    shadow: shadowSchema.optional(),
    experiment: experimentSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const set = Object.entries(s).filter(([, v]) => v !== undefined).map(([k]) => k);
    // A shadow that continues as another strategy (`then`) may carry that strategy's block beside it.
    const then = s.shadow?.then;
    const alone = set.filter((k) => !(k === then && s.shadow !== undefined));
    if (alone.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `exactly one strategy must be set, found ${set.length ? set.join(', ') : 'none'}${s.shadow ? ' (besides shadow, only the strategy its `then` names)' : ''}`,
      });
    }
  });

/** HSTS max-age: a duration with its unit (a bare number would read as milliseconds, not the header's seconds). */
const HSTS_MAX_AGE = 'write it with a unit, e.g. 365d or 6h (the header counts seconds; a bare number is not accepted)';
const hstsMaxAge = z
  .string({ error: HSTS_MAX_AGE })
  .regex(/^\d+(?:\.\d+)?(s|m|h|d)$/, HSTS_MAX_AGE)
  .transform((v) => Math.floor(parseDuration(v) / 1000));

export const tlsSchema = z
  .object({
    certFile: z.string().min(1).describe('PEM certificate, leaf first then its chain (e.g. fullchain.pem); relative to the config file. Reloaded when it changes'),
    keyFile: z.string().min(1).describe('PEM private key of that certificate, unencrypted; relative to the config file. Read only by the proxy process'),
    redirectHttp: port
      .optional()
      .describe('Also listen on this port (usually 80) for plain HTTP and answer every request with a 308 to https://<host>:<listen><path>'),
    hsts: z
      .object({
        maxAge: hstsMaxAge.describe('How long browsers keep to HTTPS for this host, e.g. 365d'),
        includeSubDomains: z.boolean().default(false),
      })
      .strict()
      .optional()
      .describe('Send Strict-Transport-Security on HTTPS responses'),
  })
  .strict();

export const serviceSchema = z
  .object({
    listen: port.describe('Public port the proxy serves this service on'),
    hosts: z.array(z.string()).optional().describe('Host names this service answers; default any'),
    run: z.string().min(1).optional().describe('Command for one instance; it gets PORT and CUTOVER_REVISION in its env. With `image`, it replaces the image\'s CMD (run by /bin/sh -c in the container)'),
    image: z.string().min(1).optional().describe('Run instances as containers of this image (needs `runtime.docker`), e.g. shop/web:1.4.2. With `build`: the name builds are tagged with (the tag is the version)'),
    build: z
      .strictObject({
        context: z.string().min(1).describe('Directory sent to the builder, relative to this file'),
        dockerfile: z.string().min(1).optional().describe('Relative to the context; default Dockerfile'),
        args: z.record(z.string(), z.string()).optional().describe('Build arguments (ARG)'),
      })
      .optional()
      .describe('Build the image on the Docker Engine(s) at every deploy (and at the first `up`) instead of pulling it; `deploy --image` still deploys a given image'),
    port: port.optional().describe('With `image`: the port the app listens on inside the container (it gets it as PORT)'),
    resources: z
      .object({
        cpus: z.number().positive().optional().describe('CPUs per container, e.g. 0.5'),
        memory: byteSize.optional().describe('Memory limit per container, e.g. 256MiB'),
      })
      .strict()
      .optional()
      .describe('With `image`: limits of each container'),
    version: z.string().min(1).max(128).default('v1').describe('Version label of the revision `cutover up` starts with'),
    cwd: z.string().optional(),
    env: envMap.default({}),
    replicas: z.number().int().min(0).max(256).default(1),
    readiness: probeSchema.default({ interval: 1000, timeout: 1000, failureThreshold: 3, successThreshold: 1 }),
    liveness: probeSchema.optional(),
    shutdown: shutdownSchema.default({ drainTimeout: 30_000, signal: 'SIGTERM', killAfter: 10_000 }),
    progressDeadlineSeconds: z.number().min(1).default(120),
    revisionHistoryLimit: z.number().int().min(1).default(10),
    strategy: strategySchema.default({ rolling: { maxSurge: 1, maxUnavailable: 0 } }),
    migration: z.string().optional().describe('Migration file the first revision applies (see `cutover migrate`)'),
    analysis: serviceAnalysisSchema.optional().describe('Analysis templates (Argo Rollouts vocabulary) the strategy refers to'),
    metrics: z
      .object({ path: z.string().startsWith('/').default('/metrics').describe('Path each instance serves Prometheus metrics on') })
      .strict()
      .optional()
      .describe('Where Prometheus scrapes the instances it finds through GET /api/v1/prometheus/targets (docs/observability.md)'),
    hooks: z
      .object({
        preDeploy: deployHookSchema.optional().describe('Runs before a deploy changes anything; a failure (non-zero exit, timeout) refuses the deploy'),
        postDeploy: deployHookSchema.optional().describe('Runs after a rollout completes; its outcome is an event (it cannot undo the rollout)'),
      })
      .strict()
      .optional()
      .describe('Commands around each deploy (as Kamal\'s pre-deploy and post-deploy hooks), with CUTOVER_SERVICE, CUTOVER_REVISION, CUTOVER_VERSION in their env'),
    revisionHeader: z.boolean().default(false).describe('Add x-cutover-revision to responses (debugging)'),
    tls: tlsSchema
      .optional()
      .describe('Serve this service over HTTPS on `listen`. Services sharing a port each bring their certificate; the client\'s server name (SNI) picks it'),
    trustForwardedHeaders: z
      .boolean()
      .default(false)
      .describe('Keep the X-Forwarded-For/-Proto/-Host clients send (only behind a proxy you trust); by default the proxy replaces them. Services sharing a port trust them only if all of them do'),
    retry: z
      .object({
        nonIdempotent: z
          .boolean()
          .default(false)
          .describe('Also retry POST, PATCH and other non-idempotent requests on another instance after the one they were sent to failed before answering. Risk: the first instance may have acted on the request, which then runs twice (a payment charged twice). Without it they are retried only when nothing reached the instance'),
      })
      .strict()
      .default({ nonIdempotent: false }),
  })
  .strict()
  .superRefine((svc, ctx) => {
    for (const i of checkAnalysisRefs(svc.analysis?.templates ?? {}, analysisRefs(svc.strategy))) ctx.addIssue({ code: 'custom', path: ['strategy', ...i.path], message: i.message });
  });

export const cutoverConfigSchema = z
  .object({
    stateDir: z.string().default(DEFAULT_STATE_DIR).describe('Where state, token, logs and sockets live'),
    api: z
      .object({ host: z.string().default(DEFAULT_API_HOST), port: port.default(DEFAULT_API_PORT) })
      .strict()
      .default({ host: DEFAULT_API_HOST, port: DEFAULT_API_PORT }),
    logs: z
      .object({
        maxSize: byteSize
          .default(100 * 1024 * 1024)
          .describe('An instance log past this size moves to <log>.1 (one old file kept), checked while it runs and when it restarts, e.g. 100MiB'),
      })
      .strict()
      .default({ maxSize: 100 * 1024 * 1024 }),
    proxy: z
      .object({
        limits: proxyLimitsSchema
          .default({})
          .describe('Limits and timeouts of the proxy process (per client address, bodies, timeouts); unset ones keep their defaults (docs/proxy.md#limits). Applied when the proxy process starts'),
        image: z.string().min(1).default('node:20-slim').describe('With `hosts`: an image with Node 20 (node on the PATH) that the proxy container of every host is built from'),
        adminPort: port.default(9400).describe("With `hosts`: the port of each host's proxy admin API (on the host's address, token required)"),
      })
      .strict()
      .default({ limits: {}, image: 'node:20-slim', adminPort: 9400 }),
    runtime: z
      .object({
        docker: z
          .object({
            host: z.string().default('unix:///var/run/docker.sock').describe('Docker Engine: unix:///path/docker.sock, tcp://host:2376 or ssh://user@host'),
            tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict().optional().describe('PEM files for tcp:// with TLS'),
            ssh: sshSettings.optional(),
            hostIp: z.string().default('127.0.0.1').describe('Host address container ports are published on (the proxy reaches them there)'),
            network: z.string().optional().describe("Docker network containers join; default Docker's bridge"),
          })
          .strict()
          .optional()
          .describe('Run instances as containers (services set `image` and `port`); without it instances are local processes'),
      })
      .strict()
      .default({})
      .describe('Where instances run'),
    hosts: hostsSchema,
    services: z.record(z.string().regex(SERVICE_NAME, 'use lowercase letters, digits and dashes'), serviceSchema),
    flags: z
      .record(flagName, featureBodySchema)
      .default({})
      .describe('Feature flags by name, in Unleash\'s model (see docs/flags.md). Applied by `cutover up` when new or changed in this file; changes made through the API last until the file changes that flag'),
    notifications: notificationsSchema.default({ webhooks: [] }).describe('Webhooks told about rollout and flag events (see docs/notifications.md)'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // One port, one owner: the proxy cannot tell two services apart on a port unless both name their hosts. Claims
    // in the same `group` may share a port: services that name their hosts, HTTP redirects to the same HTTPS port.
    const owners = new Map<number, { owner: string; group: string | undefined }>();
    const claim = (p: number, owner: string, path: (string | number)[], group?: string, why = 'services may share a listen port only when each sets `hosts`') => {
      const prev = owners.get(p);
      if (prev === undefined) return void owners.set(p, { owner, group });
      if (group !== undefined && prev.group === group) return;
      ctx.addIssue({ code: 'custom', path, input: p, message: `port ${p} is already used by ${prev.owner}; give each its own port (${why})` });
    };
    claim(cfg.api.port, 'the control API', ['api', 'port']);
    const https = new Map<number, string>();
    for (const [name, svc] of Object.entries(cfg.services)) {
      claim(svc.listen, `service ${name}`, ['services', name, 'listen'], svc.hosts?.length ? 'hosts' : undefined);
      // A port speaks TLS or it does not: services sharing one agree.
      const first = https.get(svc.listen);
      if (first === undefined) https.set(svc.listen, `${svc.tls ? 'https' : 'http'}:${name}`);
      else if (first.startsWith('https:') !== !!svc.tls) {
        const other = first.slice(first.indexOf(':') + 1);
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'tls'],
          message: `port ${svc.listen} serves ${first.startsWith('https:') ? 'HTTPS' : 'plain HTTP'} for service ${other}; services sharing a port must all set \`tls\` or none`,
        });
      }
    }
    for (const [name, svc] of Object.entries(cfg.services)) checkRuntime(name, svc, cfg.runtime.docker !== undefined, ctx);
    for (const [name, svc] of Object.entries(cfg.services)) {
      const preview = svc.strategy.blueGreen?.previewPort;
      if (preview !== undefined) claim(preview, `the preview port of ${name}`, ['services', name, 'strategy', 'blueGreen', 'previewPort']);
    }
    for (const [name, svc] of Object.entries(cfg.services)) {
      const redirect = svc.tls?.redirectHttp;
      if (redirect !== undefined) {
        claim(redirect, `the HTTP redirect of ${name} (to port ${svc.listen})`, ['services', name, 'tls', 'redirectHttp'], `redirect:${svc.listen}`, 'one HTTP port redirects to one HTTPS port');
      }
    }
    for (const issue of hostIssues(cfg.hosts, cfg.runtime.docker !== undefined, Object.entries(cfg.services).filter(([, svc]) => svc.tls).map(([name]) => name))) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of unknownWebhookServices(cfg.notifications, Object.keys(cfg.services))) ctx.addIssue({ code: 'custom', ...issue });
  });

/** A service runs either a command (local processes) or an image with its port (docker runtime). */
function checkRuntime(name: string, svc: z.output<typeof serviceSchema>, docker: boolean, ctx: z.RefinementCtx): void {
  const at = (field: string) => ['services', name, field];
  if (docker && !svc.image && !svc.build) ctx.addIssue({ code: 'custom', path: at('image'), message: 'the docker runtime runs images: set `image` or `build` (and `port`)' });
  if (!docker && svc.build) ctx.addIssue({ code: 'custom', path: at('build'), message: 'a build needs the docker runtime: add `runtime: { docker: {} }`, or use `run` for a local process' });
  if (!docker && svc.image) ctx.addIssue({ code: 'custom', path: at('image'), input: svc.image, message: 'an image needs the docker runtime: add `runtime: { docker: {} }`, or use `run` for a local process' });
  if (!docker && !svc.run) ctx.addIssue({ code: 'custom', path: at('run'), message: 'set `run`, the command that starts one instance' });
  if ((svc.image || svc.build) && svc.port === undefined) ctx.addIssue({ code: 'custom', path: at('port'), message: 'set `port`, the port the app listens on inside the container' });
}

export type CutoverConfig = z.output<typeof cutoverConfigSchema>;
export type CutoverConfigInput = z.input<typeof cutoverConfigSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type ProbeConfig = z.output<typeof probeSchema>;
export type StrategyConfig = z.output<typeof strategySchema>;
export type CanaryStep = z.output<typeof canaryStepSchema>;
export type DeployHook = z.output<typeof deployHookSchema>;
export type CanaryConfig = z.output<typeof canarySchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
export type BlueGreenConfig = z.output<typeof blueGreenSchema>;
export type RollingConfig = z.output<typeof rollingSchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type * from './analysis-schema.ts';
export type StrategyName = 'rolling' | 'blueGreen' | 'canary' | 'shadow' | 'experiment';
export type ShadowConfig = z.output<typeof shadowSchema>;
export type ExperimentConfig = z.output<typeof experimentSchema>;
export type FlagsConfig = z.output<typeof cutoverConfigSchema>['flags'];
export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type WebhookConfig = NotificationsConfig['webhooks'][number];

export function strategyName(s: StrategyConfig): StrategyName {
  if (s.shadow) return 'shadow';
  if (s.experiment) return 'experiment';
  if (s.blueGreen) return 'blueGreen';
  if (s.canary) return 'canary';
  return 'rolling';
}

/** JSON Schema for editors (yaml-language-server, VS Code). */
export function jsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cutoverConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
