import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../api/client';
import { Alert, Button, CheckboxGroup, Dialog, DialogActions, ErrorAlert, Field } from '../ui';
import { browserTimeZone, formatInZone, zonedTimeToInstant } from '../ui/zones';
import styles from './staff.module.css';
import { CHANNEL_LABELS, CHANNEL_OPTIONS, type Channel, type DirectoryUser, type StaffMessage } from './types';

/**
 * Send A Message to one user: title, details, channels, and optionally when it is delivered and when it leaves their
 * message center — both chosen on the user's own clock (their time zone, else this browser's), confirmed before it
 * goes, and answered with exactly when it will be delivered.
 */
export function SendMessageDialog({ user, onClose }: { user: DirectoryUser | null; onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [channels, setChannels] = useState<Channel[]>(['message_center']);
  const [scheduled, setScheduled] = useState(false);
  const [deliverLocal, setDeliverLocal] = useState('');
  const [dismissing, setDismissing] = useState(false);
  const [dismissLocal, setDismissLocal] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const timeZone = user?.timezone ?? browserTimeZone();
  const whose = user?.timezone ? `${user.name}’s time, ${timeZone}` : `your time, ${timeZone} (${user?.name ?? 'the user'} has no time zone set)`;
  const deliverAt = scheduled && deliverLocal ? zonedTimeToInstant(deliverLocal, timeZone) : null;
  const dismissAt = dismissing && dismissLocal ? zonedTimeToInstant(dismissLocal, timeZone) : null;

  const send = useMutation({
    mutationFn: () =>
      api.post<StaffMessage>(
        '/v1/messages',
        {
          recipientId: user!.id,
          title: title.trim(),
          body: body.trim(),
          channels,
          ...(deliverAt ? { deliverAt: deliverAt.toISOString() } : {}),
          ...(dismissAt ? { dismissAt: dismissAt.toISOString() } : {}),
        },
        // A retried click or a flaky network never sends it twice.
        { 'Idempotency-Key': idempotencyKey },
      ),
    onError: () => setConfirming(false),
  });

  const close = () => {
    onClose();
    setTitle('');
    setBody('');
    setChannels(['message_center']);
    setScheduled(false);
    setDeliverLocal('');
    setDismissing(false);
    setDismissLocal('');
    setConfirming(false);
    setIdempotencyKey(crypto.randomUUID());
    send.reset();
  };

  const error = send.error instanceof ApiError ? send.error : null;
  const ready = title.trim() && body.trim() && channels.length > 0 && (!scheduled || deliverLocal) && (!dismissing || dismissLocal);
  const review = (event: FormEvent) => {
    event.preventDefault();
    if (ready) setConfirming(true);
  };
  const when = deliverAt ? `on ${formatInZone(deliverAt, timeZone)}` : 'right away';

  return (
    <Dialog title={`Send A Message to ${user?.name ?? ''}`} open={Boolean(user)} onClose={close}>
      {send.data ? (
        <>
          <Alert tone="success">
            <span data-testid="send-result">
              {send.data.status === 'scheduled' && new Date(send.data.deliverAt).getTime() > Date.now() + 5_000
                ? `Scheduled. It will be delivered on ${formatInZone(send.data.deliverAt, timeZone)} (${whose}).`
                : `Sent. It is being delivered now (${formatInZone(send.data.deliverAt, timeZone)}).`}
              {send.data.dismissAt && ` It leaves the message center on ${formatInZone(send.data.dismissAt, timeZone)}.`}
            </span>
          </Alert>
          <DialogActions>
            <Link to={`/user-messages?recipientId=${user?.id}`} onClick={close}>
              See it in User Messages
            </Link>
            <Button onClick={close}>Done</Button>
          </DialogActions>
        </>
      ) : confirming ? (
        <div role="group" aria-label="Confirm">
          <p>
            Send <strong>{title.trim()}</strong> to <strong>{user?.name}</strong> by {channels.map((c) => CHANNEL_LABELS[c]).join(', ')} {when}
            {deliverAt && ` (${whose})`}?
          </p>
          {dismissAt && <p>It leaves the message center on {formatInZone(dismissAt, timeZone)}.</p>}
          <DialogActions>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Back
            </Button>
            <Button onClick={() => send.mutate()} disabled={send.isPending}>
              {send.isPending ? 'Sending…' : 'Confirm and send'}
            </Button>
          </DialogActions>
        </div>
      ) : (
        <form onSubmit={review} noValidate>
          {error && !['title', 'body', 'channels', 'deliverAt', 'dismissAt'].some((f) => error.messageFor(f)) && <ErrorAlert error={error} />}
          <Field label="Title" error={error?.messageFor('title')}>
            {(props) => <input {...props} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />}
          </Field>
          <Field label="Details" error={error?.messageFor('body')}>
            {(props) => <textarea {...props} rows={5} value={body} onChange={(e) => setBody(e.target.value)} />}
          </Field>
          <CheckboxGroup legend="Channels" options={CHANNEL_OPTIONS} chosen={channels} onChange={setChannels} error={error?.messageFor('channels')} />
          <div className={styles.when}>
            <label className={styles.check}>
              <input type="checkbox" checked={scheduled} onChange={(e) => setScheduled(e.target.checked)} /> Send at a specific date/time
            </label>
            {scheduled && (
              <Field label="Delivery date/time" hint={`On ${whose}.`} error={error?.messageFor('deliverAt')}>
                {(props) => <input {...props} type="datetime-local" value={deliverLocal} onChange={(e) => setDeliverLocal(e.target.value)} />}
              </Field>
            )}
            <label className={styles.check}>
              <input type="checkbox" checked={dismissing} onChange={(e) => setDismissing(e.target.checked)} /> Dismiss date/time
            </label>
            {dismissing && (
              <Field label="Remove from the message center at" hint={`On ${whose}.`} error={error?.messageFor('dismissAt')}>
                {(props) => <input {...props} type="datetime-local" value={dismissLocal} onChange={(e) => setDismissLocal(e.target.value)} />}
              </Field>
            )}
          </div>
          <DialogActions>
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" disabled={!ready}>
              Review and send
            </Button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}
