import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../api/client';
import { Alert, Button, ErrorAlert, Field } from '../ui';
import styles from './auth.module.css';
import { Brand } from './LoginPage';

/** The page an admin's reset email links to: `/reset-password#token=…` (a fragment, so the token never reaches a server log). */
export default function ResetPasswordPage() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.anonymousPost('/v1/auth/reset-password', { token, newPassword: password });
      setDone(true);
      window.history.replaceState(null, '', '/reset-password');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  return (
    <main className={styles.screen}>
      <form className={styles.panel} onSubmit={(event) => void submit(event)} noValidate>
        <Brand />
        <h1>Choose a new password</h1>
        {done ? (
          <Alert tone="success">
            Your password is set, and every session you had has ended. <Link to="/login">Log in</Link> with the new one.
          </Alert>
        ) : !token ? (
          <Alert tone="error">This link is incomplete. Ask your administrator for a new one.</Alert>
        ) : (
          <>
            {apiError?.messageFor('token') ? (
              <Alert tone="error">This link has expired or was already used. Ask your administrator for a new one.</Alert>
            ) : (
              !apiError?.messageFor('newPassword') && <ErrorAlert error={error} />
            )}
            <Field label="New password" hint="At least 12 characters, and not a common password." error={apiError?.messageFor('newPassword')}>
              {(props) => <input {...props} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
            <Field label="Repeat it" error={repeat && repeat !== password ? 'The two passwords differ.' : undefined}>
              {(props) => <input {...props} type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
            </Field>
            <Button type="submit" className={styles.submit} disabled={busy || password.length === 0 || repeat !== password}>
              Set password
            </Button>
          </>
        )}
      </form>
    </main>
  );
}
