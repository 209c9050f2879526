/**
 * Every feature flag: on or off, its strategies in words, its rollout percentage, its change history; an admin
 * turns it on or off and sets the rollout (the API's enable, disable and rollout routes, through the confirmation).
 * The flags come with the live stream; the history of one flag is read from GET /api/v1/flag-events when opened.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, describeError, flagPath, type FeatureDefinition, type FlagChangeAnswer, type FlagEvent, type FlagView, type Role } from '../api.ts';
import { changeWords, flagExtrasWords, rolloutHint, rolloutPercent, strategyWords } from '../flag-words.ts';
import { dateTime } from '../format.ts';
import { noteFlagChange, type LiveState } from '../live.ts';
import { useActionRunner, type RequestAction } from './confirm.tsx';

const READ_ONLY = 'read-only session: the viewer token cannot change flags';

/** Runs a flag change, shows it at once, and says what the flag is now. */
const change = (name: string, verb: 'enable' | 'disable' | 'rollout', body: unknown) => async () => {
  const answer = await call<FlagChangeAnswer>('POST', `${flagPath(name)}/${verb}`, body);
  noteFlagChange(answer);
  const f = answer.flag;
  if (!f) return { text: `${name} no longer exists.` };
  const pct = rolloutPercent(f);
  return { text: `${name} is ${f.enabled ? 'on' : 'off'}${f.enabled && pct !== undefined ? `, for ${pct}% of users` : ''}.` };
};

export function FlagsPage({ live, role }: { live: LiveState; role: Role }) {
  const { request, ui } = useActionRunner();
  const canAct = role === 'admin';
  const flags = live.flags;
  if (flags === undefined) return <p>{live.stale ? 'Connecting to the controller…' : 'Loading the flags…'}</p>;
  return (
    <section aria-labelledby="flags-title" class="flags-page">
      <h1 id="flags-title">Feature flags</h1>
      {flags === null ? (
        <p>This controller serves no flags.</p>
      ) : (
        <>
          <p class="muted">
            {flags.flags.length} flag{flags.flags.length === 1 ? '' : 's'}, revision {flags.revision}. Define them in <code>cutover.yaml</code> (<code>flags:</code>) or with{' '}
            <code>cutover flags</code>; see docs/flags.md.
          </p>
          {!canAct && <p class="notice">Read-only session: you can see the flags, not change them.</p>}
          {ui}
          {flags.flags.length === 0 ? (
            <p>No flags yet.</p>
          ) : (
            <ul class="cards flag-cards">
              {[...flags.flags]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((f) => (
                  <FlagCard key={f.name} flag={f} events={flags.events.filter((e) => e.kind === 'flag' && e.name === f.name)} canAct={canAct} request={request} />
                ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function FlagCard({ flag: f, events, canAct, request }: { flag: FlagView; events: FlagEvent[]; canAct: boolean; request: RequestAction }) {
  const id = `flag-${f.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const pct = rolloutPercent(f);
  const extras = flagExtrasWords(f);
  const toggle = f.enabled
    ? { label: 'Disable', what: `Turn ${f.name} off for everyone: SDKs and the proxy get it off within a second. Its strategies are kept.`, verb: 'disable' as const, danger: true }
    : { label: 'Enable', what: `Turn ${f.name} on: its strategies decide who gets it (${describeWho(f)}).`, verb: 'enable' as const, danger: false };
  return (
    <li class="card flag" data-flag={f.name}>
      <div class="card-head">
        <h2 id={`${id}-name`} class="mono flag-name">
          {f.name}
        </h2>
        <span class={`flag-state ${f.enabled ? 'flag-on' : 'flag-off'}`} data-enabled={f.enabled ? 'true' : 'false'}>
          {f.enabled ? 'On' : 'Off'}
        </span>
        {f.managedBy && <span class="muted small-text">from cutover.yaml</span>}
      </div>
      {f.description && <p class="message">{f.description}</p>}
      <dl class="facts">
        <div>
          <dt>Rollout</dt>
          <dd data-testid="rollout">{pct === undefined ? '—' : `${pct}%`}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{f.type ?? 'release'}</dd>
        </div>
        <div>
          <dt>Changed</dt>
          <dd>{dateTime(f.updatedAt)}</dd>
        </div>
      </dl>
      <h3 class="sub">Who gets it{f.enabled ? '' : ' when on'}</h3>
      <ul class="plain strategies">
        {f.strategies.length === 0 ? <li>everyone (no strategies)</li> : f.strategies.map((s, i) => <li key={i}>{strategyWords(s, f.name)}</li>)}
        {extras.map((x) => (
          <li key={x}>{x}</li>
        ))}
      </ul>
      <div class="actions" role="group" aria-label={`${f.name} actions`}>
        <button
          type="button"
          class={toggle.danger ? 'danger' : 'primary'}
          disabled={!canAct}
          title={canAct ? toggle.what : READ_ONLY}
          onClick={() => request({ verb: `${toggle.label} ${f.name}`, what: toggle.what, run: change(f.name, toggle.verb, {}), ...(toggle.danger ? { danger: true } : {}) })}
        >
          {toggle.label}
        </button>
      </div>
      <RolloutForm flag={f} id={id} canAct={canAct} request={request} />
      {f.managedBy && <p class="muted small-text">Defined in cutover.yaml: a change here lasts until the file says something new about this flag.</p>}
      <FlagHistory name={f.name} live={events} />
    </li>
  );
}

function describeWho(f: FeatureDefinition): string {
  if (f.strategies.length === 0) return 'everyone';
  return f.strategies.map((s) => strategyWords(s, f.name)).join('; or ');
}

function RolloutForm({ flag: f, id, canAct, request }: { flag: FlagView; id: string; canAct: boolean; request: RequestAction }) {
  const current = rolloutPercent(f);
  const [value, setValue] = useState(current === undefined ? '' : String(current));
  const [problem, setProblem] = useState('');
  useEffect(() => setValue(current === undefined ? '' : String(current)), [current]);
  const hint = rolloutHint(f);
  const submit = (e: Event) => {
    e.preventDefault();
    const percent = Number(value);
    if (value.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100) return setProblem('a percentage from 0 to 100, e.g. 25');
    setProblem('');
    request({
      verb: `Set the rollout of ${f.name} to ${percent}%`,
      what: `Turn ${f.name} on for ${percent}% of users (the same users keep it as the percentage grows)${f.enabled ? '' : '; it is off now and will be turned on'}.`,
      run: change(f.name, 'rollout', { percent }),
    });
  };
  return (
    <form class="rollout-form" onSubmit={submit} noValidate aria-labelledby={`${id}-rollout`}>
      <h3 id={`${id}-rollout`} class="sub">
        Rollout of {f.name}
      </h3>
      <div class="inline">
        <label>
          Percentage of users
          <input type="number" name="percent" min={0} max={100} step="any" inputMode="decimal" value={value} onInput={(e) => setValue(e.currentTarget.value)} disabled={!canAct} aria-describedby={`${id}-rollout-hint`} />
        </label>
        <button type="submit" disabled={!canAct} title={canAct ? undefined : READ_ONLY}>
          Set rollout…
        </button>
      </div>
      <p id={`${id}-rollout-hint`} class={`small-text ${hint.ok ? 'muted' : 'warn-text'}`}>
        {hint.text}
      </p>
      {problem && <p class="result err">{problem}</p>}
    </form>
  );
}

/** The flag's changes, newest first: those the stream brought, and the older ones read when the list is opened. */
function FlagHistory({ name, live }: { name: string; live: FlagEvent[] }) {
  const [open, setOpen] = useState(false);
  const [fetched, setFetched] = useState<FlagEvent[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!open) return;
    let current = true;
    call<FlagEvent[]>('GET', `/api/v1/flag-events?name=${encodeURIComponent(name)}&limit=50`).then(
      (e) => current && (setFetched(e.filter((x) => x.kind === 'flag')), setError('')),
      (err: unknown) => current && setError(describeError(err)),
    );
    return () => {
      current = false;
    };
  }, [open, name]);
  const byId = new Map<number, FlagEvent>();
  for (const e of [...fetched, ...live]) byId.set(e.id, e);
  const events = [...byId.values()].sort((a, b) => b.id - a.id);
  return (
    <details class="flag-history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Change history</summary>
      {error && <p class="result err">{error}</p>}
      {events.length === 0 ? (
        <p class="muted">{open ? 'No changes recorded.' : ''}</p>
      ) : (
        <div class="table-wrap" role="region" aria-label={`changes of ${name}, newest first`} tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-event={e.id}>
                  <td>
                    <time dateTime={new Date(e.time).toISOString()}>{dateTime(e.time)}</time>
                  </td>
                  <td data-actor={e.actor}>{e.actor}</td>
                  <td>{changeWords(e)}</td>
                  <td>{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
