import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { lazy, memo, Suspense, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { useSession } from '../auth/useSession';
import { useShortcut } from '../keyboard/shortcuts';
import { Button, controlClass, Empty, ErrorAlert, layoutStyles, Loading, PageHeader, ShowMore, tabStyles } from '../ui';
import { formatShort } from '../ui/time';
import styles from './conversations.module.css';
import { INBOX_LISTS, type InboxData, type InboxPage, withNewestPage } from './inbox-cache';
import { ThreadView } from './ThreadView';
import type { ConversationSummary } from './types';

const ComposeDialog = lazy(() => import('./compose/ComposeDialog'));

type Folder = 'active' | 'inactive';
const PAGE_SIZE = 50;
/** A row's height before it is measured: a subject line and a preview line. */
const ROW_HEIGHT_ESTIMATE = 62;

/**
 * The inbox (staff) or Conversations (members): one folder a page of 50 at a time, newest activity first, with the
 * open thread beside it. Pages load on demand and only the rows on screen are rendered, so an inbox of 10,000
 * conversations costs what one page costs, however far down *Show more* has gone.
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
  const bodyRef = useRef<HTMLTableSectionElement>(null);

  const queryClient = useQueryClient();
  const listKey = [...INBOX_LISTS, folder, words];
  const fetchPage = (cursor: string | undefined) => api.get<InboxPage>(`/v1/conversations${query({ folder, q: words, limit: PAGE_SIZE, cursor })}`);
  const list = useInfiniteQuery({
    queryKey: listKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    // Polling an infinite query refetches every page shown; past the first, the poll below fetches only the newest.
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 0) <= 1 ? LIVE_POLL_MS : false),
  });
  const pagesShown = list.data?.pages.length ?? 0;
  useQuery({
    queryKey: [...listKey, 'newest'],
    queryFn: async () => {
      const newest = await fetchPage(undefined);
      queryClient.setQueryData<InboxData>(listKey, (data) => data && withNewestPage(data, newest));
      return null;
    },
    enabled: pagesShown > 1,
    initialData: null,
    initialDataUpdatedAt: () => Date.now(),
    staleTime: LIVE_POLL_MS,
    refetchInterval: LIVE_POLL_MS,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const index = items.findIndex((item) => item.id === conversationId);
  const suffix = query({ folder: folder === 'inactive' ? folder : undefined, q: words });
  const open = useCallback((id: string) => navigate(`${base}/${id}${suffix}`), [navigate, base, suffix]);
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

  // Only the rows on screen (and a few either side) are in the page, so thousands shown cost what a screenful does.
  const [listTop, setListTop] = useState(0);
  useLayoutEffect(() => {
    if (bodyRef.current) setListTop(bodyRef.current.getBoundingClientRect().top + window.scrollY);
  });
  const virtualizer = useWindowVirtualizer({
    count: items.length,
    estimateSize: () => ROW_HEIGHT_ESTIMATE,
    overscan: 12,
    scrollMargin: listTop,
    getItemKey: (i) => items[i].id,
  });
  // Rows are measured as they come into view from below; correcting the scroll position for a pixel's difference
  // would undo that frame's scrolling.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = () => false;
  const rows = virtualizer.getVirtualItems();
  const spaceAbove = rows.length ? rows[0].start - listTop : 0;
  const spaceBelow = rows.length ? virtualizer.getTotalSize() - (rows[rows.length - 1].end - listTop) : 0;

  // Keep the open conversation's row in view when j/k move past the edge.
  useEffect(() => {
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'auto' });
  }, [conversationId]); // on moving to another conversation only, not as the list grows

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
              <table className={`${layoutStyles.table} ${styles.inbox}`} aria-rowcount={items.length + 1}>
                <caption className="visually-hidden">{folder === 'active' ? 'Active conversations' : 'Inactive conversations'}</caption>
                <thead>
                  <tr aria-rowindex={1}>
                    <th scope="col" style={{ width: '46%' }}>
                      Content
                    </th>
                    <th scope="col">Sender Name</th>
                    <th scope="col">Last Updated</th>
                    {staff && <th scope="col">Client account</th>}
                  </tr>
                </thead>
                <tbody ref={bodyRef}>
                  {spaceAbove > 0 && <Spacer height={spaceAbove} columns={staff ? 4 : 3} />}
                  {rows.map((row) => {
                    const item = items[row.index];
                    return (
                      <InboxRow
                        key={item.id}
                        index={row.index}
                        measure={virtualizer.measureElement}
                        item={item}
                        href={`${base}/${item.id}${suffix}`}
                        selected={item.id === conversationId}
                        staff={staff}
                        onOpen={open}
                      />
                    );
                  })}
                  {spaceBelow > 0 && <Spacer height={spaceBelow} columns={staff ? 4 : 3} />}
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

/**
 * One conversation's row. Memoised: with thousands of rows shown, a page more, a poll or j/k re-renders only the
 * rows whose data changed (TanStack Query keeps unchanged rows' objects).
 */
const InboxRow = memo(function InboxRow({
  index,
  measure,
  item,
  href,
  selected,
  staff,
  onOpen,
}: {
  index: number;
  measure: (row: HTMLTableRowElement | null) => void;
  item: ConversationSummary;
  href: string;
  selected: boolean;
  staff: boolean;
  onOpen: (id: string) => unknown;
}) {
  return (
    <tr
      ref={measure}
      data-index={index}
      aria-rowindex={index + 2}
      className={[styles.row, selected ? styles.selected : '', item.unreadCount > 0 ? styles.unread : ''].join(' ')}
      aria-current={selected ? 'true' : undefined}
      onClick={() => void onOpen(item.id)}
    >
      <td>
        <Link className={styles.subject} to={href}>
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
  );
});

/** The height of the rows not in the page, above or below those that are. */
function Spacer({ height, columns }: { height: number; columns: number }) {
  return (
    <tr aria-hidden="true" className={styles.spacer}>
      <td colSpan={columns} style={{ height }} />
    </tr>
  );
}
