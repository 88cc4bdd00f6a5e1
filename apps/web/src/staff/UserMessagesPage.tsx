import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, ApiError, query } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { Badge, Button, Card, Dialog, DialogActions, Empty, ErrorAlert, Field, layoutStyles, Loading, PageHeader, ShowMore } from '../ui';
import { formatDateTime } from '../ui/time';
import { browserTimeZone, instantToZonedTime, zonedTimeToInstant } from '../ui/zones';
import styles from './staff.module.css';
import { CHANNEL_LABELS, type DeliveryView, type StaffMessage } from './types';

const STATUSES = ['scheduled', 'delivered', 'read', 'dismissed', 'cancelled'] as const;

const STATUS_TONE: Record<string, 'info' | 'ok' | 'warn' | 'danger'> = {
  scheduled: 'info',
  delivered: 'ok',
  read: 'ok',
  dismissed: 'warn',
  cancelled: 'warn',
  sent: 'ok',
  failed: 'danger',
  pending: 'info',
  skipped: 'warn',
};

function usePortalSettings() {
  return useQuery({
    queryKey: ['portal-settings'],
    queryFn: () => api.get<{ temporalUi: { url: string; namespace: string } | null }>('/v1/portal/settings'),
    staleTime: Infinity,
  });
}

/** One send's history: each attempt and what the provider reported, in time order. */
function DeliveryCard({ delivery }: { delivery: DeliveryView }) {
  return (
    <Card aria-label={`${CHANNEL_LABELS[delivery.channel]} delivery`}>
      <strong>{CHANNEL_LABELS[delivery.channel]}</strong> <Badge tone={STATUS_TONE[delivery.status] ?? 'info'}>{delivery.status}</Badge>
      {delivery.sentAt && <div className={styles.summary}>Sent {formatDateTime(delivery.sentAt)}</div>}
      {delivery.lastError && <div className={styles.summary}>Last error: {delivery.lastError}</div>}
      {(delivery.timeline?.length ?? 0) > 0 && (
        <ol className={styles.timeline} aria-label={`${CHANNEL_LABELS[delivery.channel]} timeline`}>
          {delivery.timeline!.map((entry, index) => (
            <li key={index}>
              {formatDateTime(entry.startedAt ?? entry.at)} — {entry.attempt ? `attempt ${entry.attempt}: ` : 'provider: '}
              <strong>{entry.outcome.replace(/_/g, ' ')}</strong>
              {entry.reason ? ` (${entry.reason})` : ''}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function RescheduleDialog({ message, onClose }: { message: StaffMessage | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const timeZone = browserTimeZone();
  const [deliverLocal, setDeliverLocal] = useState('');
  const [dismissLocal, setDismissLocal] = useState('');
  const change = useMutation({
    mutationFn: () =>
      api.patch(`/v1/messages/${message!.id}`, {
        ...(deliverLocal ? { deliverAt: zonedTimeToInstant(deliverLocal, timeZone).toISOString() } : {}),
        ...(dismissLocal ? { dismissAt: zonedTimeToInstant(dismissLocal, timeZone).toISOString() } : {}),
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['messages'] });
      onClose();
    },
  });
  const error = change.error instanceof ApiError ? change.error : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  return (
    <Dialog title={`Reschedule “${message?.title ?? ''}”`} open={Boolean(message)} onClose={onClose}>
      {message && (
        <form onSubmit={submit}>
          {error && !error.messageFor('deliverAt') && !error.messageFor('dismissAt') && <ErrorAlert error={error} />}
          {message.status === 'scheduled' && (
            <Field label="Deliver at" hint={`Your time, ${timeZone}.`} error={error?.messageFor('deliverAt')}>
              {(props) => (
                <input
                  {...props}
                  type="datetime-local"
                  value={deliverLocal || instantToZonedTime(message.deliverAt, timeZone)}
                  onChange={(e) => setDeliverLocal(e.target.value)}
                />
              )}
            </Field>
          )}
          <Field label="Dismiss at" hint={`Your time, ${timeZone}. It leaves the message center then.`} error={error?.messageFor('dismissAt')}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                value={dismissLocal || (message.dismissAt ? instantToZonedTime(message.dismissAt, timeZone) : '')}
                onChange={(e) => setDismissLocal(e.target.value)}
              />
            )}
          </Field>
          <DialogActions>
            <Button variant="secondary" onClick={onClose}>
              Keep as is
            </Button>
            <Button type="submit" disabled={(!deliverLocal && !dismissLocal) || change.isPending}>
              Save
            </Button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

/** Every scheduled message (or one user's), newest first, with each channel's delivery timeline, live while it moves. */
export default function UserMessagesPage() {
  const [search, setSearch] = useSearchParams();
  const recipientId = search.get('recipientId') ?? undefined;
  const status = search.get('status') ?? undefined;
  const [openId, setOpenId] = useState<string | null>(null);
  const [rescheduling, setRescheduling] = useState<StaffMessage | null>(null);
  const settings = usePortalSettings();
  const queryClient = useQueryClient();
  const messages = useInfiniteQuery({
    queryKey: ['messages', recipientId, status],
    queryFn: ({ pageParam }) =>
      api.get<{ items: StaffMessage[]; nextCursor: string | null }>(`/v1/messages${query({ recipientId, status, limit: 25, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: LIVE_POLL_MS,
  });
  const cancel = useMutation({
    mutationFn: (id: string) => api.post(`/v1/messages/${id}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['messages'] }),
  });
  const items = messages.data?.pages.flatMap((page) => page.items) ?? [];
  const recipientName = recipientId ? items[0]?.recipientName : undefined;
  const temporalUi = settings.data?.temporalUi;

  return (
    <>
      <PageHeader title={recipientName ? `User Messages: ${recipientName}` : 'User Messages'} />
      <div className={styles.filters}>
        <Field label="Status">
          {(props) => (
            <select {...props} value={status ?? ''} onChange={(e) => setSearch(query({ recipientId, status: e.target.value || undefined }).slice(1))}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s[0].toUpperCase() + s.slice(1)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {recipientId && (
          <Button variant="secondary" onClick={() => setSearch(query({ status }).slice(1))}>
            Show every user
          </Button>
        )}
      </div>
      <ErrorAlert error={messages.error ?? cancel.error} />
      {messages.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No messages here.</Empty>
      ) : (
        <table className={layoutStyles.table}>
          <caption className="visually-hidden">Messages</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Recipient</th>
              <th scope="col">Status</th>
              <th scope="col">Deliver at</th>
              <th scope="col">Channels</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.flatMap((message) => {
              const open = openId === message.id;
              const rows = [
                <tr key={message.id}>
                  <th scope="row">{message.title}</th>
                  <td>{message.recipientName ?? message.recipientId}</td>
                  <td>
                    <Badge tone={STATUS_TONE[message.status] ?? 'info'}>{message.status}</Badge>
                  </td>
                  <td>{formatDateTime(message.deliverAt)}</td>
                  <td>{message.channels.map((c) => CHANNEL_LABELS[c]).join(', ')}</td>
                  <td>
                    <Button variant="quiet" aria-expanded={open} aria-controls={`detail-${message.id}`} onClick={() => setOpenId(open ? null : message.id)}>
                      {open ? 'Hide' : 'Timeline'}
                      <span className="visually-hidden"> of {message.title}</span>
                    </Button>
                  </td>
                </tr>,
              ];
              if (open)
                rows.push(
                  <tr key={`${message.id}-detail`} id={`detail-${message.id}`} className={styles.detail}>
                    <td colSpan={6}>
                      <div className={styles.actions}>
                        {message.status === 'scheduled' && (
                          <Button
                            variant="danger"
                            onClick={() => window.confirm(`Cancel “${message.title}”?`) && cancel.mutate(message.id)}
                            disabled={cancel.isPending}
                          >
                            Cancel
                          </Button>
                        )}
                        {(message.status === 'scheduled' || message.status === 'delivered' || message.status === 'read') && (
                          <Button variant="secondary" onClick={() => setRescheduling(message)}>
                            Reschedule
                          </Button>
                        )}
                        {temporalUi && (
                          <a
                            href={`${temporalUi.url}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(message.workflowId)}`}
                            target="_blank"
                            rel="noreferrer"
                          >
                            Open the workflow in the Temporal UI
                          </a>
                        )}
                        <span>
                          Workflow id <code>{message.workflowId}</code>
                        </span>
                      </div>
                      <div className={styles.summary}>
                        {message.deliveredAt && `Delivered ${formatDateTime(message.deliveredAt)}. `}
                        {message.readAt && `Read ${formatDateTime(message.readAt)}. `}
                        {message.dismissAt && `Leaves the message center ${formatDateTime(message.dismissAt)}. `}
                        {message.cancelledAt && `Cancelled ${formatDateTime(message.cancelledAt)}.`}
                      </div>
                      <div className={styles.deliveries}>
                        {(message.deliveries ?? []).map((delivery, index) => (
                          <DeliveryCard key={`${delivery.channel}-${index}`} delivery={delivery} />
                        ))}
                      </div>
                    </td>
                  </tr>,
                );
              return rows;
            })}
          </tbody>
        </table>
      )}
      <ShowMore list={messages} />
      <RescheduleDialog message={rescheduling} onClose={() => setRescheduling(null)} />
    </>
  );
}
