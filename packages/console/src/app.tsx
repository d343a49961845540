/**
 * The console shell: asks the PCE who is signed in, shows the sign-in page or the layout
 * (navigation from ROUTES grouped by `nav`, the user menu), and routes the hash to a page.
 * A 401 from any API call (session ended) brings the sign-in page back.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { setUnauthenticatedHandler } from './api/client.ts';
import { ErrorList, fieldErrors } from './components/error-list.tsx';
import { TextField } from './components/field.tsx';
import { Loading } from './components/progress.tsx';
import { ToastHost } from './components/toast.tsx';
import type { RouteEntry } from './page.ts';
import { link, matchPath, navigate, useLocation } from './router.ts';
import { ROUTES } from './routes.ts';
import { ROLE_NAMES, SessionContext, sessionApi, sessionOf, type Me, type Session } from './session.tsx';

const NAV_GROUPS: readonly NonNullable<RouteEntry['nav']>[] = ['Policy', 'Inventory', 'Visibility', 'Admin'];
const HOME = '/workloads';

type State = { kind: 'loading' } | { kind: 'signed-out'; notice?: string } | { kind: 'failed'; error: unknown } | { kind: 'signed-in'; me: Me };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(() => {
    sessionApi.current().then(
      (me) => setState(me ? { kind: 'signed-in', me } : { kind: 'signed-out' }),
      (error: unknown) => setState({ kind: 'failed', error }),
    );
  }, []);
  useEffect(() => {
    load();
    setUnauthenticatedHandler(() => setState((s) => (s.kind === 'signed-in' ? { kind: 'signed-out', notice: 'Your session has ended; sign in again.' } : s)));
  }, [load]);

  const signOut = useCallback(async () => {
    try {
      await sessionApi.signOut();
    } finally {
      setState({ kind: 'signed-out', notice: 'You are signed out.' });
    }
  }, []);
  const me = state.kind === 'signed-in' ? state.me : undefined;
  const session = useMemo(() => (me ? sessionOf(me, signOut) : undefined), [me, signOut]);

  let body;
  if (state.kind === 'loading') body = <Loading what="the console" />;
  else if (state.kind === 'failed')
    body = (
      <div class="signin">
        <div class="signin-box">
          <h1>Palisade</h1>
          <ErrorList error={state.error} />
          <button type="button" class="button" onClick={load}>
            Try again
          </button>
        </div>
      </div>
    );
  else if (state.kind === 'signed-out' || !session) body = <SignIn notice={state.kind === 'signed-out' ? state.notice : undefined} onSignedIn={(m) => setState({ kind: 'signed-in', me: m })} />;
  else
    body = (
      <SessionContext.Provider value={session}>
        <Layout session={session} />
      </SessionContext.Provider>
    );
  return (
    <>
      {body}
      <ToastHost />
    </>
  );
}

function SignIn(props: { notice?: string; onSignedIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · Palisade';
  }, []);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await sessionApi.signIn(username.trim(), password));
    } catch (err) {
      setError(err);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  const fields = ['username', 'password'];
  return (
    <main class="signin">
      <form class="signin-box" onSubmit={submit} data-testid="sign-in-form" noValidate>
        <h1>Sign in to Palisade</h1>
        {props.notice !== undefined && error === undefined && (
          <p class="muted" role="status" data-testid="sign-in-notice">
            {props.notice}
          </p>
        )}
        <ErrorList error={error} exclude={fields} />
        <TextField label="User name" name="username" value={username} onInput={setUsername} autoFocus autocomplete="username" errors={fieldErrors(error, 'username')} testid="sign-in-username" />
        <TextField label="Password" name="password" type="password" value={password} onInput={setPassword} autocomplete="current-password" errors={fieldErrors(error, 'password')} testid="sign-in-password" />
        <button type="submit" class="button button-primary" disabled={busy} data-testid="sign-in-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="field-hint">The owner's first password is in the PCE data directory (owner-console-password.json).</p>
      </form>
    </main>
  );
}

/** The route for a path and its params (first match in table order). */
export function routeFor(path: string): { route: RouteEntry; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}

/** Whether a nav entry is the current page or its parent (`/rule-sets` for `/rule-sets/3`). */
export function navActive(navPath: string, path: string): boolean {
  return path === navPath || path.startsWith(`${navPath}/`);
}

function Layout(props: { session: Session }) {
  const loc = useLocation();
  const path = loc.path === '/' ? HOME : loc.path;
  useEffect(() => {
    if (loc.path === '/') navigate(HOME);
  }, [loc.path]);
  const found = routeFor(path);
  useEffect(() => {
    document.title = `${found?.route.title ?? 'Not found'} · Palisade`;
  }, [found?.route.title]);
  const { session } = props;
  return (
    <div class="shell">
      <nav class="nav" aria-label="Main">
        <div class="nav-brand">Palisade</div>
        {NAV_GROUPS.map((g) => {
          const entries = ROUTES.filter((r) => r.nav === g);
          if (entries.length === 0) return null;
          return (
            <div class="nav-group" key={g}>
              <h2 class="nav-group-title">{g}</h2>
              {entries.map((r) => (
                <a key={r.path} href={link(r.path)} aria-current={navActive(r.path, path) ? 'page' : undefined} data-testid={`nav-${r.path.slice(1)}`}>
                  {r.title}
                </a>
              ))}
            </div>
          );
        })}
      </nav>
      <div class="main">
        <header class="topbar">
          <div class="user-menu" data-testid="user-menu">
            <span data-testid="user-name">{session.fullName || session.username}</span>
            <span class="role-badge" data-testid="user-role" title={`Role: ${ROLE_NAMES[session.role]}`}>
              {ROLE_NAMES[session.role]}
            </span>
            <button type="button" class="button button-quiet" data-testid="sign-out" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main class="content" id="content">
          {found ? (
            <found.route.component key={found.route.path} params={found.params} query={loc.query} />
          ) : (
            <div class="empty-state">
              <p class="empty-title">No page at {path}</p>
              <p class="empty-next">
                Go to <a href={link(HOME)}>Workloads</a> or pick a page on the left.
              </p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
