import { useInfiniteQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { useSession } from '../auth/useSession';
import { useShortcut } from '../keyboard/shortcuts';
import { Button, controlClass, Empty, ErrorAlert, layoutStyles, Loading, PageHeader, ShowMore, tabStyles } from '../ui';
import { formatShort } from '../ui/time';
import styles from './conversations.module.css';
import { ThreadView } from './ThreadView';
import type { ConversationSummary } from './types';

const ComposeDialog = lazy(() => import('./compose/ComposeDialog'));

type Folder = 'active' | 'inactive';
const PAGE_SIZE = 50;

/**
 * The inbox (staff) or Conversations (members): one folder a page of 50 at a time, newest activity first, with the
 * open thread beside it. Pages load on demand, so an inbox of 10,000 conversations costs what one page costs.
 */
export default function ConversationsPage() {
  const user = useSession();
  const { conversationId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const folder: Folder = search.get('folder') === 'inactive' ? 'inactive' : 'active';
  const words = search.get('q') ?? '';
  const [composing, setComposing] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const base = location.pathname.startsWith('/inbox') ? '/inbox' : '/conversations';
  const staff = user?.role !== 'member';
  const tableRef = useRef<HTMLTableElement>(null);

  const list = useInfiniteQuery({
    queryKey: ['conversations', 'list', folder, words],
    queryFn: ({ pageParam }) =>
      api.get<{ items: ConversationSummary[]; nextCursor: string | null }>(
        `/v1/conversations${query({ folder, q: words, limit: PAGE_SIZE, cursor: pageParam })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: LIVE_POLL_MS,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const index = items.findIndex((item) => item.id === conversationId);
  const suffix = query({ folder: folder === 'inactive' ? folder : undefined, q: words });
  const open = (id: string) => navigate(`${base}/${id}${suffix}`);
  const setFilter = (next: { folder?: Folder; q?: string }) => {
    const merged = { folder: next.folder ?? folder, q: next.q ?? words };
    setSearch(query({ folder: merged.folder === 'inactive' ? 'inactive' : undefined, q: merged.q }).slice(1));
  };

  useShortcut({ key: 'j', description: 'Next conversation', group: 'Messaging' }, () => {
    const next = items[Math.min(index + 1, items.length - 1)];
    if (next) void open(next.id);
  });
  useShortcut({ key: 'k', description: 'Previous conversation', group: 'Messaging' }, () => {
    const previous = items[Math.max(index - 1, 0)];
    if (previous) void open(previous.id);
  });
  useShortcut({ key: '/', description: 'Search', group: 'Messaging' }, () => searchRef.current?.focus());
  useShortcut({ key: 'c', description: 'New message', group: 'Messaging' }, () => setComposing(true), staff);

  // Keep the open conversation's row in view when j/k move past the edge.
  useEffect(() => {
    tableRef.current?.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [conversationId]);

  return (
    <>
      <PageHeader title={staff ? 'Inbox' : 'Conversations'}>
        <div className={styles.toolbar}>
          <form
            role="search"
            onSubmit={(event) => {
              event.preventDefault();
              const typed = new FormData(event.currentTarget).get('q');
              setFilter({ q: typeof typed === 'string' ? typed.trim() : '' });
            }}
          >
            <label htmlFor="conversation-search" className="visually-hidden">
              Search conversations
            </label>
            <input
              id="conversation-search"
              ref={searchRef}
              name="q"
              type="search"
              className={controlClass}
              placeholder="Search (/)"
              defaultValue={words}
              key={words}
            />
          </form>
          {staff && (
            <Button onClick={() => setComposing(true)} title="New message (C)">
              New message
            </Button>
          )}
        </div>
      </PageHeader>
      {composing && (
        <Suspense fallback={null}>
          <ComposeDialog open={composing} onClose={() => setComposing(false)} />
        </Suspense>
      )}
      <div className={tabStyles.tabs} role="tablist" aria-label="Folders">
        {(['active', 'inactive'] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={folder === name} className={tabStyles.tab} onClick={() => setFilter({ folder: name })}>
            {name === 'active' ? 'Active' : 'Inactive'}
          </button>
        ))}
      </div>
      <div className={layoutStyles.split}>
        <div role="tabpanel" aria-label={folder === 'active' ? 'Active conversations' : 'Inactive conversations'}>
          <ErrorAlert error={list.error} />
          {list.isPending ? (
            <Loading />
          ) : items.length === 0 ? (
            <Empty>{words ? `Nothing matches “${words}”.` : folder === 'active' ? 'No active conversations.' : 'No closed conversations.'}</Empty>
          ) : (
            <>
              <table className={`${layoutStyles.table} ${styles.inbox}`} ref={tableRef}>
                <caption className="visually-hidden">{folder === 'active' ? 'Active conversations' : 'Inactive conversations'}</caption>
                <thead>
                  <tr>
                    <th scope="col" style={{ width: '46%' }}>
                      Content
                    </th>
                    <th scope="col">Sender Name</th>
                    <th scope="col">Last Updated</th>
                    {staff && <th scope="col">Client account</th>}
                  </tr>
                </thead>
                <tbody>
                  {items.map((item) => (
                    <tr
                      key={item.id}
                      className={[styles.row, item.id === conversationId ? styles.selected : '', item.unreadCount > 0 ? styles.unread : ''].join(' ')}
                      aria-current={item.id === conversationId ? 'true' : undefined}
                      onClick={() => void open(item.id)}
                    >
                      <td>
                        <Link className={styles.subject} to={`${base}/${item.id}${suffix}`}>
                          {item.subject}
                          {item.unreadCount > 0 && <span className="visually-hidden">, {item.unreadCount} unread</span>}
                        </Link>
                        <span className={styles.preview}>{item.preview}</span>
                      </td>
                      <td>{item.lastSender?.name ?? ''}</td>
                      <td>
                        <time dateTime={item.lastUpdatedAt}>{formatShort(item.lastUpdatedAt)}</time>
                      </td>
                      {staff && <td>{item.clientAccount?.name ?? '—'}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
              <ShowMore list={list} />
            </>
          )}
        </div>
        <div>{conversationId ? <ThreadView conversationId={conversationId} kind="thread" /> : <Empty>Choose a conversation to read it.</Empty>}</div>
      </div>
    </>
  );
}
