/**
 * The certificates of one HTTPS listener: loaded from their PEM files, chosen
 * per connection by the server name the client asks for (SNI), and reloaded
 * when the files change. A pair that cannot be used is refused with the reason
 * in the log, and the pair loaded before keeps serving; connections already
 * open are never touched (their TLS session is theirs).
 *
 * Key files are read here and nowhere else in the proxy; their bytes go to
 * OpenSSL and never into a log line, an error or an answer.
 */
import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createSecureContext, type SecureContext, type Server as TlsServer } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../shared/log.ts';
import { CertificatePairError, checkPair, daysLeft, EXPIRY_WARNING_DAYS, fileErrorText, opensslReason, summarize, type CertificateSummary } from '../shared/certificate.ts';
import { certificateList, type CertificateInfo, type CertificateSpec, type ListenerTls } from './contract.ts';
import { TlsCertificateError } from './errors.ts';

/** One loaded pair. Reloading replaces its fields in place, so every listener slot that points at it follows. */
interface LoadedPair {
  readonly certFile: string;
  readonly keyFile: string;
  context: SecureContext;
  /** Kept for the listener's default context (clients without SNI), which node rebuilds from the PEM. */
  pem: { cert: Buffer; key: Buffer };
  summary: CertificateSummary;
  loadedAt: string;
  reloadError: { at: string; message: string } | undefined;
  /** Identity (inode, size, mtime) of both files as they were just before they were last read: a change is a difference. */
  seen: string;
}

/** A certificate in a listener's list: a loaded pair and the names it was configured for. */
interface Slot {
  readonly pair: LoadedPair;
  readonly hosts: readonly string[] | undefined;
}

/** A list of slots loaded and checked, not in use yet: `ListenerCertificates.use` swaps it in. */
export interface PreparedCertificates {
  readonly slots: readonly Slot[];
}

const pairKey = (c: { certFile: string; keyFile: string }): string => `${c.certFile}\0${c.keyFile}`;

export class ListenerCertificates {
  private slots: readonly Slot[] = [];
  /** Server name → pair: configured hosts first, then the certificates' own names. Wildcards keyed by their parent. */
  private exact = new Map<string, LoadedPair>();
  private wild = new Map<string, LoadedPair>();
  private server: TlsServer | null = null;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly listener: string,
    private readonly log: Logger,
    private readonly watchMs: number,
  ) {}

  /**
   * Loads the pairs `tls` lists that this listener has not loaded yet (the others are reused as they are: a file
   * broken on disk right now does not stop a table that keeps it). Throws TlsCertificateError; nothing changed then.
   */
  prepare(tls: ListenerTls): PreparedCertificates {
    const loaded = new Map(this.slots.map((s) => [pairKey(s.pair), s.pair]));
    const slots = certificateList(tls).map((spec: CertificateSpec): Slot => {
      const key = pairKey(spec);
      let pair = loaded.get(key);
      if (!pair) {
        pair = this.load(spec);
        loaded.set(key, pair);
      }
      return { pair, hosts: spec.hosts };
    });
    return { slots };
  }

  /** The default pair's PEM, for creating the server. */
  defaultPem(prepared: PreparedCertificates): { cert: Buffer; key: Buffer } {
    return prepared.slots[0]!.pair.pem;
  }

  /** Attaches the server whose default context follows the first certificate. */
  attach(server: TlsServer): void {
    this.server = server;
  }

  /** Serves `prepared` from now on: new connections get its certificates, open ones keep theirs. */
  use(prepared: PreparedCertificates): void {
    const before = this.slots[0]?.pair;
    this.slots = prepared.slots;
    this.index();
    const first = this.slots[0]!.pair;
    if (this.server && first !== before) this.server.setSecureContext(first.pem);
    this.poller ??= setInterval(() => void this.poll(), this.watchMs).unref();
  }

  /** The context for a server name; undefined means the default (the first certificate). */
  contextFor(servername: string): SecureContext | undefined {
    if (this.slots.length < 2) return undefined;
    let name = servername.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    let pair = this.exact.get(name);
    if (pair === undefined) {
      const dot = name.indexOf('.');
      if (dot > 0) pair = this.wild.get(name.slice(dot + 1));
    }
    return pair?.context;
  }

  /** What each certificate is now, for `GET /certificates`: public facts only. */
  info(spec: { port: number }): CertificateInfo[] {
    return this.slots.map(({ pair, hosts }) => ({
      listener: this.listener,
      port: spec.port,
      certFile: pair.certFile,
      hosts: hosts ? [...hosts] : pair.summary.names,
      ...pair.summary,
      loadedAt: pair.loadedAt,
      ...(pair.reloadError ? { reloadError: { ...pair.reloadError } } : {}),
    }));
  }

  close(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  // ---- internals ----

  private load(spec: { certFile: string; keyFile: string }): LoadedPair {
    const seen = identitySync(spec);
    const { cert, key, summary } = this.read(spec, (reason) => new TlsCertificateError(this.listener, spec, reason));
    const pair: LoadedPair = { certFile: spec.certFile, keyFile: spec.keyFile, context: this.context(spec, cert, key), pem: { cert, key }, summary, loadedAt: new Date().toISOString(), reloadError: undefined, seen };
    this.warnIfExpiring(pair, 'TLS certificate loaded');
    return pair;
  }

  /** Reads and checks a pair; every problem becomes `fail(reason)` in plain words. */
  private read<E extends Error>(files: { certFile: string; keyFile: string }, fail: (reason: string) => E): { cert: Buffer; key: Buffer; x509: X509Certificate; summary: CertificateSummary } {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(files.certFile);
    } catch (err) {
      throw fail(`cannot read the certificate file: ${fileErrorText(err)}`);
    }
    try {
      key = readFileSync(files.keyFile);
    } catch (err) {
      throw fail(`cannot read the key file: ${fileErrorText(err)}`);
    }
    try {
      const x509 = checkPair(cert, key, files);
      return { cert, key, x509, summary: summarize(x509) };
    } catch (err) {
      if (err instanceof CertificatePairError) throw fail(err.reason);
      throw err;
    }
  }

  private context(files: { certFile: string; keyFile: string }, cert: Buffer, key: Buffer): SecureContext {
    try {
      return createSecureContext({ cert, key });
    } catch (err) {
      throw new TlsCertificateError(this.listener, files, `OpenSSL refused the pair (${opensslReason(err)})`);
    }
  }

  private index(): void {
    const exact = new Map<string, LoadedPair>();
    const wild = new Map<string, LoadedPair>();
    const add = (name: string, pair: LoadedPair): void => {
      const n = name.toLowerCase();
      const [map, key] = n.startsWith('*.') ? [wild, n.slice(2)] : [exact, n];
      if (!map.has(key)) map.set(key, pair);
    };
    for (const s of this.slots) for (const h of s.hosts ?? []) add(h, s.pair);
    for (const s of this.slots) for (const n of s.pair.summary.names) add(n, s.pair);
    this.exact = exact;
    this.wild = wild;
  }

  /**
   * Compares each pair's files with what they were when last read, and reloads a pair whose files changed. Polled
   * (stat), not fs.watch: an atomic rename, a symlink swapped by certbot or a secret mount updated by Kubernetes are
   * all seen. A change made between a read and the first poll is seen too: the comparison is with the read, not with
   * the previous poll.
   */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const pair of new Set(this.slots.map((s) => s.pair))) {
        const now = await identity(pair);
        if (now === pair.seen || this.poller === undefined) continue;
        pair.seen = now;
        this.reload(pair);
      }
    } finally {
      this.polling = false;
    }
  }

  /** Swaps in the pair now on disk, or keeps the one loaded and says why. */
  private reload(pair: LoadedPair): void {
    const files = { certFile: pair.certFile, keyFile: pair.keyFile };
    let next: { cert: Buffer; key: Buffer; summary: CertificateSummary };
    let context: SecureContext;
    try {
      next = this.read(files, (reason) => new Error(reason));
      context = createSecureContext({ cert: next.cert, key: next.key });
    } catch (err) {
      const reason = opensslReason(err);
      pair.reloadError = { at: new Date().toISOString(), message: reason };
      this.log.warn(
        { listener: this.listener, certFile: pair.certFile, keyFile: pair.keyFile, reason, serving: pair.summary.subject, notAfter: pair.summary.notAfter },
        `TLS certificate reload refused: ${reason}; the previous certificate keeps serving`,
      );
      return;
    }
    if (next.summary.fingerprint256 === pair.summary.fingerprint256 && next.key.equals(pair.pem.key)) {
      pair.reloadError = undefined;
      return; // touched, not changed
    }
    pair.context = context;
    pair.pem = { cert: next.cert, key: next.key };
    pair.summary = next.summary;
    pair.loadedAt = new Date().toISOString();
    pair.reloadError = undefined;
    this.index();
    if (this.server && this.slots[0]?.pair === pair) this.server.setSecureContext(pair.pem);
    this.log.info({ listener: this.listener, certFile: pair.certFile, subject: pair.summary.subject, notAfter: pair.summary.notAfter }, 'TLS certificate reloaded');
    this.warnIfExpiring(pair, 'TLS certificate reloaded');
  }

  private warnIfExpiring(pair: LoadedPair, what: string): void {
    const days = daysLeft(pair.summary.notAfter);
    if (days >= EXPIRY_WARNING_DAYS) return;
    const when = days < 0 ? `expired on ${pair.summary.notAfter}` : `expires on ${pair.summary.notAfter} (${days} days left)`;
    this.log.warn({ listener: this.listener, certFile: pair.certFile, subject: pair.summary.subject, notAfter: pair.summary.notAfter }, `${what}: it ${when}`);
  }
}

/** inode, size and mtime of both files ('-' for one that cannot be stat'ed). */
async function identity(files: { certFile: string; keyFile: string }): Promise<string> {
  const one = (f: string): Promise<string> => stat(f).then((st) => `${st.ino}:${st.size}:${st.mtimeMs}`, () => '-');
  return `${await one(files.certFile)}|${await one(files.keyFile)}`;
}

function identitySync(files: { certFile: string; keyFile: string }): string {
  const one = (f: string): string => {
    try {
      const st = statSync(f);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${one(files.certFile)}|${one(files.keyFile)}`;
}
