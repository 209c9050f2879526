/** Paste the API token (or the viewer token) to open a session; the token itself is never kept by the page. */
import { useState } from 'preact/hooks';
import { call, describeError, type SessionInfo } from '../api.ts';

export function Login({ onLogin, expired }: { onLogin: (s: SessionInfo) => void; expired: boolean }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(expired ? 'That login link has expired or was already used; paste the token instead, or run `cutover dashboard` again.' : '');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const s = await call<SessionInfo>('POST', '/api/v1/session', { token: token.trim() });
      setToken('');
      onLogin(s);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Cutover</h1>
      <form onSubmit={submit}>
        <label>
          API token
          <input type="password" name="token" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required autofocus />
        </label>
        <p class="muted">
          Run <code>cutover dashboard</code> for a one-time login link, or paste the token from <code>&lt;stateDir&gt;/token</code> (or{' '}
          <code>viewer-token</code> to watch only).
        </p>
        {error && (
          <p role="alert" class="result err">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
