/**
 * The CLI's way to the control API. The URL and token come from flags, then
 * the environment (CUTOVER_API, CUTOVER_TOKEN), then the config file's
 * api section and the token file in its state dir.
 *
 * Kept light on purpose: every client command loads this module, so it uses
 * node:http (not undici), and reads only the api and stateDir fields of the
 * config file (config/api-settings.ts), only when a flag or variable is
 * missing. test/cli/startup.test.ts checks what a client command loads.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Command } from 'commander';
import { CutoverError } from '../errors.ts';

export interface ClientOptions {
  config?: string;
  api?: string;
  token?: string;
}

export class ApiUnreachableError extends CutoverError {
  constructor(url: string, cause: unknown) {
    super('API_UNREACHABLE', `cannot reach the control API at ${url}`, {
      status: 503,
      hint: 'is `cutover up` running? pass -c <config> or --api <url> if it runs elsewhere',
      cause,
    });
  }
}

/** An error answer from the API, carried to the user as the API said it (reportError shows `apiCode`, the API's own code). */
export class ApiError extends CutoverError {
  readonly apiCode: string | undefined;
  constructor(status: number, body: { code?: string; message?: string; hint?: string }) {
    super('API_ERROR', body.message ?? `API answered ${status}`, { status, hint: body.hint, fields: { apiCode: body.code } });
    this.apiCode = typeof body.code === 'string' ? body.code : undefined;
  }
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  static async fromOptions(opts: ClientOptions): Promise<ApiClient> {
    let url = opts.api ?? process.env.CUTOVER_API;
    let token = opts.token ?? process.env.CUTOVER_TOKEN;
    const file = opts.config ?? 'cutover.yaml';
    if ((!url || !token) && existsSync(file)) {
      const [{ readApiSettings }, { readToken }] = await Promise.all([import('../config/api-settings.ts'), import('../shared/token.ts')]);
      const settings = await readApiSettings(file);
      url ??= settings.url;
      token ??= readToken(settings.stateDir);
    }
    return new ApiClient(url ?? 'http://127.0.0.1:7070', token);
  }

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    let res: { status: number; text: string };
    try {
      res = await send(new URL(this.url + path), method, {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
      }, payload);
    } catch (cause) {
      throw new ApiUnreachableError(this.url, cause);
    }
    const data = res.text ? JSON.parse(res.text) : undefined;
    if (res.status >= 400) throw new ApiError(res.status, data ?? {});
    return data as T;
  }
}

/** One request with node:http (or node:https for an https: URL); resolves with the status and the whole body. */
async function send(url: URL, method: string, headers: Record<string, string>, payload: string | undefined): Promise<{ status: number; text: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The flags every command that talks to the control API takes. */
export function withClientFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (for the API address and token)', 'cutover.yaml')
    .option('--api <url>', 'control API URL (default from config, or CUTOVER_API)')
    .option('--token <token>', 'API token (default from the state dir, or CUTOVER_TOKEN)')
    .option('--json', 'print JSON');
}
