import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, logIn } from '../api/client';
import { Alert, Button, ErrorAlert, Field } from '../ui';
import styles from './auth.module.css';
import { homeFor, useSession } from './useSession';

export function Brand() {
  return (
    <div className={styles.brand}>
      <img src="/favicon.svg" alt="" width={28} height={28} /> Tidings
    </div>
  );
}

/** Where to go after logging in: the page that sent the person here, if it is one of ours. */
function nextPath(search: string): string | null {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

export default function LoginPage() {
  const user = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to={nextPath(location.search) ?? homeFor(user)} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const signedIn = await logIn(email.trim(), password);
      await navigate(nextPath(location.search) ?? homeFor(signedIn), { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const tooMany = error instanceof ApiError && error.status === 429;
  return (
    <main className={styles.screen}>
      <form className={styles.panel} onSubmit={(event) => void submit(event)} noValidate>
        <Brand />
        <h1>Log in</h1>
        {tooMany ? <Alert tone="error">Too many failed attempts. Wait a few minutes, then try again.</Alert> : <ErrorAlert error={error} />}
        <Field label="Email">
          {(props) => <input {...props} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password">
          {(props) => (
            <input {...props} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <Button type="submit" className={styles.submit} disabled={busy || !email || !password}>
          {busy ? 'Logging in…' : 'Log in'}
        </Button>
      </form>
    </main>
  );
}
