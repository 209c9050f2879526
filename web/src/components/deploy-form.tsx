/** Deploy a new version: label, and optionally a command, env and strategy (empty fields inherit the current revision's). */
import { useState } from 'preact/hooks';
import { call, svcPath, type RolloutStatus } from '../api.ts';
import type { RequestAction } from './confirm.tsx';

export function parseEnv(text: string): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return `env line ${i + 1}: write NAME=value`;
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

export function DeployForm({ service, canAct, request }: { service: string; canAct: boolean; request: RequestAction }) {
  const [version, setVersion] = useState('');
  const [run, setRun] = useState('');
  const [env, setEnv] = useState('');
  const [strategy, setStrategy] = useState('');
  const [problem, setProblem] = useState('');

  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = parseEnv(env);
    if (typeof parsed === 'string') return setProblem(parsed);
    if (!version.trim()) return setProblem('a version label is needed, e.g. v2');
    setProblem('');
    const body = {
      version: version.trim(),
      ...(run.trim() ? { run: run.trim() } : {}),
      ...(Object.keys(parsed).length ? { env: parsed } : {}),
      ...(strategy ? { strategy } : {}),
    };
    const how = strategy || "the service's strategy";
    request({
      verb: `Deploy ${body.version}`,
      what: `Create a new revision of ${service} labelled ${body.version}${body.run ? ` running "${body.run}"` : ' with the current command'}${body.env ? ` and ${Object.keys(body.env).length} env value(s)` : ''}, and roll it out with ${how}.`,
      run: () => call<RolloutStatus>('POST', `${svcPath(service)}/deploy`, body),
    });
  };

  return (
    <form class="deploy" onSubmit={submit} aria-labelledby="deploy-title">
      <h2 id="deploy-title">Deploy a new version</h2>
      <div class="grid">
        <label>
          Version label
          <input name="version" value={version} onInput={(e) => setVersion(e.currentTarget.value)} placeholder="v2" required disabled={!canAct} />
        </label>
        <label>
          Strategy
          <select name="strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value)} disabled={!canAct}>
            <option value="">as configured</option>
            <option value="canary">canary</option>
            <option value="blueGreen">blue-green</option>
            <option value="rolling">rolling</option>
          </select>
        </label>
        <label class="wide">
          Command (optional)
          <input name="run" value={run} onInput={(e) => setRun(e.currentTarget.value)} placeholder="same as now" disabled={!canAct} />
        </label>
        <label class="wide">
          Env, one NAME=value a line (optional)
          <textarea name="env" rows={2} value={env} onInput={(e) => setEnv(e.currentTarget.value)} disabled={!canAct} />
        </label>
      </div>
      {problem && <p class="result err">{problem}</p>}
      <button type="submit" class="primary" disabled={!canAct}>
        Deploy…
      </button>
    </form>
  );
}
