import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { useSession } from '../auth/useSession';
import { Button, Card, Empty, ErrorAlert, Field, Loading, PageHeader } from '../ui';
import { formatDateTime } from '../ui/time';
import { browserTimeZone, zonedTimeToInstant } from '../ui/zones';
import { StaffPicker } from './StaffPicker';
import styles from './tasks.module.css';

interface AwayPeriod {
  id: string;
  user: { id: string; name: string };
  coveredBy: { id: string; name: string };
  from: string;
  until: string;
}

/** Away periods: when a care manager is out, and who covers their queue meanwhile. Admins set them for anyone. */
export default function AwayPage() {
  const user = useSession();
  const queryClient = useQueryClient();
  const admin = user?.role === 'admin';
  const [forUser, setForUser] = useState('');
  const [coveredById, setCoveredById] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const timeZone = browserTimeZone();
  const periods = useQuery({ queryKey: ['coverage'], queryFn: () => api.get<{ items: AwayPeriod[] }>('/v1/coverage') });
  const create = useMutation({
    mutationFn: () =>
      api.post('/v1/coverage', {
        userId: admin && forUser ? forUser : user!.id,
        coveredById,
        from: zonedTimeToInstant(from, timeZone).toISOString(),
        until: zonedTimeToInstant(until, timeZone).toISOString(),
      }),
    onSuccess: async () => {
      setFrom('');
      setUntil('');
      setCoveredById('');
      await queryClient.invalidateQueries({ queryKey: ['coverage'] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/v1/coverage/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['coverage'] }),
  });
  const error = create.error instanceof ApiError ? create.error : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (coveredById && from && until) create.mutate();
  };
  const who = admin && forUser ? forUser : user?.id;

  return (
    <>
      <PageHeader title="Away periods" />
      <Card aria-labelledby="new-away">
        <h2 id="new-away">Set an away period</h2>
        <form onSubmit={submit} className={styles.form}>
          {error && !['userId', 'coveredById', 'from', 'until'].some((f) => error.messageFor(f)) && <ErrorAlert error={error} />}
          {admin && <StaffPicker label="Who is away (empty: you)" value={forUser} onChange={setForUser} />}
          <StaffPicker label="Who covers" value={coveredById} onChange={setCoveredById} exclude={who ? [who] : []} error={error?.messageFor('coveredById')} />
          <Field label="From" hint={`Your time, ${timeZone}.`} error={error?.messageFor('from')}>
            {(props) => <input {...props} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
          </Field>
          <Field label="Until" hint={`Your time, ${timeZone}.`} error={error?.messageFor('until')}>
            {(props) => <input {...props} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}
          </Field>
          <div>
            <Button type="submit" disabled={!coveredById || !from || !until || create.isPending}>
              Save away period
            </Button>
          </div>
        </form>
      </Card>
      <h2 style={{ marginTop: '1.5rem' }}>Coming up and now</h2>
      <ErrorAlert error={periods.error ?? remove.error} />
      {!periods.data ? (
        periods.isPending && <Loading />
      ) : periods.data.items.length === 0 ? (
        <Empty>No away periods.</Empty>
      ) : (
        <ul className={styles.list} aria-label="Away periods">
          {periods.data.items.map((period) => (
            <li key={period.id}>
              <span>
                <strong>{period.user.id === user?.id ? 'You' : period.user.name}</strong> away {formatDateTime(period.from)} – {formatDateTime(period.until)},
                covered by {period.coveredBy.id === user?.id ? 'you' : period.coveredBy.name}
              </span>
              {(admin || period.user.id === user?.id) && (
                <Button variant="quiet" onClick={() => remove.mutate(period.id)} aria-label={`Remove the away period from ${formatDateTime(period.from)}`}>
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
