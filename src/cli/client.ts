/**
 * The CLI's way to the control API. The URL and token come from flags, then
 * the environment (CUTOVER_API, CUTOVER_TOKEN), then the config file's
 * api section and the token file in its state dir.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { request } from 'undici';
import { CutoverError } from '../errors.ts';
import { loadConfigFile } from '../config/load.ts';
import { readToken } from '../api/token.ts';

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

/** An error answer from the API, carried to the user as the API said it. */
export class ApiError extends CutoverError {
  constructor(status: number, body: { code?: string; message?: string; hint?: string }) {
    super('API_ERROR', body.message ?? `API answered ${status}`, { status, hint: body.hint, fields: { apiCode: body.code } });
  }
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  static fromOptions(opts: ClientOptions): ApiClient {
    let url = opts.api ?? process.env.CUTOVER_API;
    let token = opts.token ?? process.env.CUTOVER_TOKEN;
    const file = opts.config ?? 'cutover.yaml';
    if ((!url || !token) && existsSync(file)) {
      const { config } = loadConfigFile(file);
      url ??= `http://${config.api.host}:${config.api.port}`;
      token ??= readToken(config.stateDir);
    }
    return new ApiClient(url ?? 'http://127.0.0.1:7070', token);
  }

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await request(this.url + path, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (cause) {
      throw new ApiUnreachableError(this.url, cause);
    }
    const text = await res.body.text();
    const data = text ? JSON.parse(text) : undefined;
    if (res.statusCode >= 400) throw new ApiError(res.statusCode, data ?? {});
    return data as T;
  }
}

/** The flags every command that talks to the control API takes. */
export function withClientFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (for the API address and token)', 'cutover.yaml')
    .option('--api <url>', 'control API URL (default from config, or CUTOVER_API)')
    .option('--token <token>', 'API token (default from the state dir, or CUTOVER_TOKEN)')
    .option('--json', 'print JSON');
}
