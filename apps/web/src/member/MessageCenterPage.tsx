import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { Button, Card, Empty, ErrorAlert, Loading, PageHeader } from '../ui';
import { PushToggle } from './PushToggle';
import { formatDateTime } from '../ui/time';
import styles from './member.module.css';

interface InboxMessage {
  id: string;
  title: string;
  body: string;
  deliveredAt: string;
  readAt: string | null;
  unread: boolean;
  dismissAt: string | null;
}

/** A ticking clock, so a message whose dismiss time passes leaves the screen then, not at the next poll. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

export default function MessageCenterPage() {
  const queryClient = useQueryClient();
  const [openId, setOpenId] = useState<string | null>(null);
  const now = useNow(1000);
  const messages = useQuery({
    queryKey: ['me', 'messages', 'list'],
    queryFn: () => api.get<{ items: InboxMessage[] }>('/v1/me/messages?limit=100'),
    refetchInterval: LIVE_POLL_MS,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['me', 'messages'] });
  const markRead = useMutation({ mutationFn: (id: string) => api.post(`/v1/me/messages/${id}/read`), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/v1/me/messages/${id}`),
    onSuccess: (_answer, id) => {
      queryClient.setQueryData<{ items: InboxMessage[] }>(['me', 'messages', 'list'], (old) => old && { items: old.items.filter((m) => m.id !== id) });
      return refresh();
    },
  });

  const visible = (messages.data?.items ?? []).filter((m) => !m.dismissAt || new Date(m.dismissAt).getTime() > now);
  const unread = visible.filter((m) => m.unread).length;

  function toggle(message: InboxMessage) {
    const opening = openId !== message.id;
    setOpenId(opening ? message.id : null);
    if (opening && message.unread) markRead.mutate(message.id);
  }

  return (
    <>
      <PageHeader title="Messages">
        <span aria-live="polite">{messages.data ? `${unread} unread` : ''}</span>
      </PageHeader>
      <ErrorAlert error={messages.error ?? markRead.error ?? remove.error} />
      {messages.isPending ? (
        <Loading />
      ) : visible.length === 0 ? (
        <Empty>No messages. New ones appear here as they arrive.</Empty>
      ) : (
        <ul className={styles.list} aria-label="Message center">
          {visible.map((message) => {
            const open = openId === message.id;
            return (
              <li key={message.id} className={`${styles.item} ${message.unread ? styles.itemUnread : ''}`}>
                <button type="button" className={styles.itemHead} aria-expanded={open} aria-controls={`message-${message.id}`} onClick={() => toggle(message)}>
                  <span className={styles.itemTitle}>
                    {message.title}
                    {message.unread && <span className="visually-hidden"> (unread)</span>}
                  </span>
                  <span className={styles.meta}>{formatDateTime(message.deliveredAt)}</span>
                </button>
                {open && (
                  <div id={`message-${message.id}`}>
                    <div className={styles.itemBody}>{message.body}</div>
                    <div className={styles.itemActions}>
                      <Button variant="danger" onClick={() => remove.mutate(message.id)} disabled={remove.isPending}>
                        Remove
                      </Button>
                    </div>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Card aria-labelledby="push-heading" className={styles.pushCard}>
        <h2 id="push-heading">Notifications on this device</h2>
        <PushToggle />
      </Card>
    </>
  );
}
