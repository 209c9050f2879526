/** Session check, then the overview or one service page (hash routes: #/ and #/services/<name>). */
import { useEffect, useState } from 'preact/hooks';
import { call, setCsrf, type SessionInfo } from './api.ts';
import { Login } from './components/login.tsx';
import { Overview } from './components/overview.tsx';
import { ServicePage } from './components/service-page.tsx';
import { closeLive, onSessionEnded, useLive } from './live.ts';
import { clock } from './format.ts';

function useRoute(): string | null {
  const read = () => {
    const m = /^#\/services\/([^/]+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]!) : null;
  };
  const [service, setService] = useState(read);
  useEffect(() => {
    const on = () => setService(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return service;
}

export function App() {
  const [session, setSession] = useState<SessionInfo | null | 'checking'>('checking');
  const expired = new URLSearchParams(location.search).get('login') === 'expired';
  useEffect(() => {
    call<SessionInfo>('GET', '/api/v1/session').then(
      (s) => login(s),
      () => setSession(null),
    );
  }, []);
  const end = () => {
    closeLive();
    setCsrf(null);
    setSession(null);
  };
  useEffect(() => onSessionEnded(end), []);
  const login = (s: SessionInfo) => {
    setCsrf(s.csrf);
    if (location.search) history.replaceState(null, '', '/' + location.hash);
    setSession(s);
  };
  if (session === 'checking') return <p class="boot">Loading…</p>;
  if (!session) return <Login onLogin={login} expired={expired} />;
  const logout = async () => {
    await call('POST', '/api/v1/session/logout').catch(() => undefined);
    end();
  };
  return <Dashboard session={session} onLogout={logout} />;
}

function Dashboard({ session, onLogout }: { session: SessionInfo; onLogout: () => void }) {
  const live = useLive();
  const service = useRoute();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="#/" class="brand">
          Cutover
        </a>
        <span class={`conn ${live.stale ? 'stale' : 'live'}`} role="status" data-stale={live.stale ? 'true' : 'false'}>
          {live.stale ? (live.lastMessageAt ? `Stale: no data since ${clock(live.lastMessageAt)}, reconnecting…` : 'Connecting…') : 'Live'}
        </span>
        <span class="who">{session.role === 'viewer' ? 'viewer (read-only)' : 'admin'}</span>
        <button type="button" class="small" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main" class={live.stale ? 'is-stale' : ''}>
        {service ? <ServicePage service={service} live={live} role={session.role} /> : <Overview live={live} />}
      </main>
    </>
  );
}
