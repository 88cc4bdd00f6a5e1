import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { useSession } from '../auth/useSession';
import { useShortcut } from '../keyboard/shortcuts';
import { Alert, Badge, Button, ErrorAlert, Loading, SafeHtml } from '../ui';
import { formatDateTime } from '../ui/time';
import { downloadAttachment, formatSize } from './attachments';
import { AddRecipients } from './AddRecipients';
import { INBOX_LISTS, markInboxRowRead } from './inbox-cache';
import { ReplyBox } from './ReplyBox';
import styles from './thread.module.css';
import type { Conversation, ConversationMessage } from './types';

/** Every list that shows unread counts or previews of conversations and chats. */
export const CONVERSATION_LISTS = [['conversations'], ['me', 'chats']];

function MessageItem({ message, mine }: { message: ConversationMessage; mine: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const system = message.system;
  return (
    <li className={`${styles.message} ${mine ? styles.mine : ''} ${system ? styles.system : ''}`} aria-label={`Message from ${message.author.name}`}>
      {!system && (
        <div className={styles.messageHead}>
          <span className={styles.author}>{mine ? 'You' : message.author.name}</span>
          <time dateTime={message.createdAt}>{formatDateTime(message.createdAt)}</time>
        </div>
      )}
      <SafeHtml html={message.bodyHtml} />
      {message.attachments.length > 0 && (
        <div className={styles.files}>
          {message.attachments.map((file) => (
            <Button key={file.id} variant="secondary" onClick={() => void downloadAttachment(file.id, file.filename).catch(setError)}>
              {file.filename} <span className="visually-hidden">,</span>({formatSize(file.size)})
            </Button>
          ))}
        </div>
      )}
      {message.readBy && (
        <div className={styles.receipt}>
          {message.readBy.length === 0 ? 'Not read yet' : `Read by ${message.readBy.map((r) => `${r.name} (${formatDateTime(r.readAt)})`).join(', ')}`}
        </div>
      )}
      <ErrorAlert error={error} />
    </li>
  );
}

/**
 * One conversation or chat: its messages (oldest first, older pages on request), a reply box, and what the caller may
 * do with it. Opening it marks what it shows as read.
 */
export function ThreadView({ conversationId, kind }: { conversationId: string; kind: 'chat' | 'thread' }) {
  const user = useSession();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [older, setOlder] = useState<{ items: ConversationMessage[]; cursor: string | null } | null>(null);
  const key = ['conversations', 'thread', conversationId];
  const thread = useQuery({
    queryKey: key,
    queryFn: () => api.get<Conversation>(`/v1/conversations/${conversationId}`),
    refetchInterval: LIVE_POLL_MS,
  });
  useEffect(() => setOlder(null), [conversationId]);

  const refreshLists = () => Promise.all(CONVERSATION_LISTS.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
  const markRead = useMutation({
    mutationFn: (throughSequence: number) => api.post(`/v1/conversations/${conversationId}/read`, { throughSequence }),
    onSuccess: () => {
      markInboxRowRead(queryClient, conversationId);
      // Everything else that counts unread (the chats list and dot) is fetched again.
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ['conversations'], predicate: (query) => query.queryKey[1] !== INBOX_LISTS[1] }),
        queryClient.invalidateQueries({ queryKey: ['me', 'chats'] }),
      ]);
    },
  });
  const newest = thread.data?.messages.at(-1)?.sequence ?? 0;
  const lastRead = thread.data?.lastReadSequence ?? 0;
  useEffect(() => {
    if (newest > lastRead && !markRead.isPending) markRead.mutate(newest);
  }, [conversationId, newest, lastRead]);

  const act = useMutation({
    mutationFn: (action: 'close' | 'reopen' | 'leave') => api.post(`/v1/conversations/${conversationId}/${action}`),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: key });
      await refreshLists();
    },
  });
  const loadOlder = useMutation({
    mutationFn: (before: string) =>
      api.get<{ items: ConversationMessage[]; olderMessagesCursor: string | null }>(
        `/v1/conversations/${conversationId}/messages?before=${encodeURIComponent(before)}`,
      ),
    onSuccess: (page) => setOlder((current) => ({ items: [...page.items, ...(current?.items ?? [])], cursor: page.olderMessagesCursor })),
  });

  const open = thread.data?.status === 'open';
  useShortcut(
    { key: 'e', description: 'Close the conversation (archive)', group: 'Messaging' },
    () => act.mutate('close'),
    open && kind === 'thread' && user?.role !== 'member' && !act.isPending,
  );

  if (thread.isPending) return <Loading />;
  if (thread.error) {
    const gone = thread.error instanceof ApiError && thread.error.status === 404;
    return gone ? <Alert tone="info">This conversation is not available to you.</Alert> : <ErrorAlert error={thread.error} />;
  }
  const conversation = thread.data;
  const staff = user?.role !== 'member';
  const others = conversation.participants.filter((p) => p.userId !== user?.id);
  const cursor = older ? older.cursor : conversation.olderMessagesCursor;
  const messages = [...(older?.items ?? []), ...conversation.messages];

  return (
    <section className={styles.thread} aria-labelledby="thread-subject">
      <div className={styles.head}>
        <div>
          <h2 id="thread-subject">
            {conversation.subject} {conversation.status === 'closed' && <Badge tone="warn">Closed</Badge>}
          </h2>
          <div className={styles.people}>
            {kind === 'chat' ? 'With ' : 'To: '}
            {others
              .filter((p) => p.kind === 'to')
              .map((p) => p.name)
              .join(', ') || 'only you'}
            {others.some((p) => p.kind === 'cc') && (
              <>
                {' '}
                · CC (blind copy):{' '}
                {others
                  .filter((p) => p.kind === 'cc')
                  .map((p) => p.name)
                  .join(', ')}
              </>
            )}
            {conversation.clientAccount && <> · {conversation.clientAccount.name}</>}
          </div>
        </div>
        {kind === 'thread' && (
          <div className={styles.actions}>
            {staff && open && (
              <Button variant="secondary" onClick={() => setAdding(true)}>
                Add
                <span className="visually-hidden"> recipients</span>
              </Button>
            )}
            {staff && open && (
              <Button variant="secondary" onClick={() => act.mutate('close')} disabled={act.isPending}>
                Close
              </Button>
            )}
            {!open && (
              <Button variant="secondary" onClick={() => act.mutate('reopen')} disabled={act.isPending}>
                Reopen
              </Button>
            )}
            <Button
              variant="quiet"
              onClick={() => window.confirm('Leave this conversation? You will no longer see it.') && act.mutate('leave')}
              disabled={act.isPending}
            >
              Leave
            </Button>
          </div>
        )}
      </div>
      <ErrorAlert error={act.error} />
      {adding && (
        <AddRecipients
          conversation={conversation}
          open={adding}
          onClose={() => setAdding(false)}
          onAdded={() => queryClient.invalidateQueries({ queryKey: key })}
        />
      )}
      {cursor && (
        <Button variant="quiet" onClick={() => loadOlder.mutate(cursor)} disabled={loadOlder.isPending}>
          Show earlier messages
        </Button>
      )}
      <ol className={styles.messages} aria-label="Messages">
        {messages.map((message) => (
          <MessageItem key={message.id} message={message} mine={message.author.id === user?.id} />
        ))}
      </ol>
      {open ? (
        <ReplyBox conversationId={conversationId} rich={kind === 'thread'} onSent={() => queryClient.invalidateQueries({ queryKey: key })} />
      ) : (
        <Alert tone="info">This conversation is closed{kind === 'thread' ? '. Reopen it to reply.' : '.'}</Alert>
      )}
    </section>
  );
}
