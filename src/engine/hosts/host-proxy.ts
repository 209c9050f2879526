/**
 * The Cutover proxy of one host, run by Cutover as a container on that host's Docker Engine: built from
 * `proxy.image` (any image with Node 20) plus the proxy bundle, on the host's network (it listens on the services'
 * ports there and reaches the instances' published ports), with its admin API on the host's address behind the
 * proxy token, over HTTPS with a certificate Cutover made for the host and pins (admin-certificate.ts). The token and
 * the key go into the container as 0600 files, never through the environment or a log. Docker
 * restarts it if it dies (the proxy reloads its last table from its file); Cutover replaces it when its bundle
 * changes (an upgrade) and leaves it serving when the controller stops.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import type { ProxyLimits } from '../../config/proxy-limits-schema.ts';
import { ProxyAdminClient } from '../../proxy/admin-client.ts';
import { parseLimitsArg } from '../../proxy/config.ts';
import { buildImage } from '../../runtime/docker/image-build.ts';
import { ensureImage } from '../../runtime/docker/image-pull.ts';
import { HostUnreachableError } from '../../runtime/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { proxyBundle } from './proxy-bundle.ts';
import type { AdminCertificate } from './admin-certificate.ts';

export interface HostProxyOptions {
  name: string;
  address: string;
  docker: Docker;
  stateDir: string;
  token: string;
  /** Base image with Node 20. */
  image: string;
  adminPort: number;
  limits?: ProxyLimits;
  /** The admin API's certificate (admin-certificate.ts); the client pins it. */
  certificate: AdminCertificate;
  logger: Logger;
}

const LABEL_OF = 'cutover.proxy-of';
const LABEL_BUNDLE = 'cutover.proxy-bundle';
const DIR = '/cutover';

export class HostProxy {
  readonly client: ProxyAdminClient;
  readonly adminUrl: string;

  constructor(private readonly opts: HostProxyOptions) {
    this.adminUrl = `https://${opts.address.includes(':') ? `[${opts.address}]` : opts.address}:${opts.adminPort}`;
    this.client = new ProxyAdminClient({ url: this.adminUrl, token: opts.token, ca: opts.certificate.cert });
  }

  get name(): string {
    return this.opts.name;
  }

  /** The container's name: one proxy per state dir and host. */
  get containerName(): string {
    return `cutover-proxy-${createHash('sha256').update(this.opts.stateDir).digest('hex').slice(0, 10)}`;
  }

  /**
   * Leaves a running proxy of this bundle, base image and certificate alone (even one that does not answer now: it
   * serves users, and replacing it would cut their connections; the data plane reports the host as not answering);
   * otherwise builds its image and (re)creates it. True when it started one.
   */
  async ensure(): Promise<boolean> {
    const code = await proxyBundle();
    const version = createHash('sha256').update(code).update(this.opts.image).update(this.opts.certificate.cert).digest('hex').slice(0, 16);
    const existing = await this.opts.docker.getContainer(this.containerName).inspect().catch(() => undefined);
    if (existing?.State.Running && existing.Config.Labels?.[LABEL_BUNDLE] === version) return false;
    const tag = `cutover-proxy:${version}`;
    await this.buildImage(tag, code);
    if (existing) {
      this.opts.logger.info({ host: this.opts.name }, 'replacing the proxy container of another Cutover version');
      await this.opts.docker.getContainer(existing.Id).stop({ t: 30 }).catch(() => {});
      await this.opts.docker.getContainer(existing.Id).remove({ force: true }).catch(() => {});
    }
    const args = { adminHost: this.opts.address, adminPort: this.opts.adminPort, tokenFile: `${DIR}/proxy-token`, stateFile: `${DIR}/proxy.json`, tableFile: `${DIR}/routes.json`, adminTls: { certFile: `${DIR}/admin-cert.pem`, keyFile: `${DIR}/admin-key.pem` }, ...(this.opts.limits ? { limits: parseLimitsArg(JSON.stringify(this.opts.limits)) } : {}) };
    const c = await this.opts.docker.createContainer({
      name: this.containerName,
      Image: tag,
      Entrypoint: ['node', `${DIR}/proxy.mjs`, JSON.stringify(args)],
      Cmd: [],
      Env: ['CUTOVER_LOG_FORMAT=json'],
      Labels: { [LABEL_OF]: this.opts.stateDir, [LABEL_BUNDLE]: version },
      HostConfig: { NetworkMode: 'host', RestartPolicy: { Name: 'unless-stopped' }, Init: true },
    });
    await c.putArchive(this.secretsArchive(), { path: DIR });
    await c.start();
    const deadline = Date.now() + 20_000;
    while (!(await this.client.health())) {
      if (Date.now() > deadline) {
        const logs = await c.logs({ stdout: true, stderr: true, tail: 20 }).then(String, () => '');
        throw new HostUnreachableError(this.opts.name, `its proxy container did not answer at ${this.adminUrl}/healthz${logs ? `; its log:\n${logs}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.opts.logger.info({ host: this.opts.name, adminUrl: this.adminUrl }, 'started the proxy of the host');
    return true;
  }

  /** Stops the proxy (it drains for up to `timeoutMs`) and removes its container. */
  async stop(timeoutMs: number): Promise<void> {
    await this.client.close();
    const c = this.opts.docker.getContainer(this.containerName);
    await c.stop({ t: Math.ceil(timeoutMs / 1000) }).catch(() => {});
    await c.remove({ force: true }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async buildImage(tag: string, code: string): Promise<void> {
    if (await this.opts.docker.getImage(tag).inspect().then(() => true, () => false)) return;
    await ensureImage(this.opts.docker, this.opts.image);
    const dir = mkdtempSync(join(tmpdir(), 'cutover-proxy-image-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${this.opts.image}\nCOPY proxy.mjs ${DIR}/proxy.mjs\n`);
      writeFileSync(join(dir, 'proxy.mjs'), code);
      await buildImage(this.opts.docker, { context: dir, tag });
    } catch (err) {
      throw new HostUnreachableError(this.opts.name, `its proxy image (from ${this.opts.image}) could not be built: ${(err as Error).message}`, err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A tar holding the token and the admin certificate and key, each mode 0600, for putArchive. */
  private secretsArchive(): NodeJS.ReadableStream {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-proxy-secrets-'));
    const files = { 'proxy-token': `${this.opts.token}\n`, 'admin-cert.pem': this.opts.certificate.cert, 'admin-key.pem': this.opts.certificate.key };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    const stream = tar.pack(dir, { entries: Object.keys(files), map: (h) => ({ ...h, mode: 0o600, uid: 0, gid: 0 }) });
    stream.on('end', () => rmSync(dir, { recursive: true, force: true }));
    return stream;
  }
}
