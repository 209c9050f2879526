/** Session check, then the overview, one service page or the flags (hash routes: #/, #/services/<name>, #/flags). */
import { useEffect, useState } from 'preact/hooks';
import { call, setCsrf, type SessionInfo } from './api.ts';
import { Login } from './components/login.tsx';
import { FlagsPage } from './components/flags-page.tsx';
import { Overview } from './components/overview.tsx';
import { ServicePage } from './components/service-page.tsx';
import { closeLive, onSessionEnded, useLive } from './live.ts';
import { clock } from './format.ts';

type Route = { page: 'overview' } | { page: 'service'; service: string } | { page: 'flags' };

function useRoute(): Route {
  const read = (): Route => {
    if (location.hash === '#/flags') return { page: 'flags' };
    const m = /^#\/services\/([^/]+)$/.exec(location.hash);
    return m ? { page: 'service', service: decodeURIComponent(m[1]!) } : { page: 'overview' };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
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
  const route = useRoute();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="#/" class="brand">
          Cutover
        </a>
        <nav aria-label="Pages" class="pages">
          <a href="#/" aria-current={route.page === 'flags' ? undefined : 'page'}>
            Services
          </a>
          <a href="#/flags" aria-current={route.page === 'flags' ? 'page' : undefined}>
            Flags
          </a>
        </nav>
        <span class={`conn ${live.stale ? 'stale' : 'live'}`} role="status" data-stale={live.stale ? 'true' : 'false'}>
          {live.stale ? (live.lastMessageAt ? `Stale: no data since ${clock(live.lastMessageAt)}, reconnecting…` : 'Connecting…') : 'Live'}
        </span>
        <span class="who">{session.role === 'viewer' ? 'viewer (read-only)' : 'admin'}</span>
        <button type="button" class="small" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main" class={live.stale ? 'is-stale' : ''}>
        {route.page === 'service' ? (
          <ServicePage service={route.service} live={live} role={session.role} />
        ) : route.page === 'flags' ? (
          <FlagsPage live={live} role={session.role} />
        ) : (
          <Overview live={live} />
        )}
      </main>
    </>
  );
}
