import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { ConversationSummary } from './types';

/** One page of GET /v1/conversations, as the inbox's infinite query holds it. */
export type InboxPage = { items: ConversationSummary[]; nextCursor: string | null };
export type InboxData = InfiniteData<InboxPage, string | undefined>;

/** Every inbox list's key starts with this: folder and search words follow. */
export const INBOX_LISTS = ['conversations', 'list'] as const;

/**
 * The inbox with a fresh first page merged in: conversations on it leave the deeper pages (new activity moved them
 * up), and rows it pushed off stay at the top of the rest, so nothing shown vanishes between polls. The cursors are
 * kept, so *Show more* goes on where it was.
 */
export function withNewestPage(data: InboxData, newest: InboxPage): InboxData {
  const fresh = new Set(newest.items.map((item) => item.id));
  const pages = data.pages.map((page, i) => {
    const rest = page.items.filter((item) => !fresh.has(item.id));
    return i === 0 ? { items: [...newest.items, ...rest], nextCursor: page.nextCursor } : { ...page, items: rest };
  });
  return { ...data, pages };
}

/**
 * After the caller has read a conversation, its inbox rows change only in their unread count: patched in every
 * cached inbox rather than refetched, which with many pages shown would cost a request a page on every open.
 */
export function markInboxRowRead(queryClient: QueryClient, conversationId: string): void {
  queryClient.setQueriesData<InboxData | null>({ queryKey: INBOX_LISTS }, (data) =>
    data?.pages
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((item) => (item.id === conversationId && item.unreadCount > 0 ? { ...item, unreadCount: 0 } : item)),
          })),
        }
      : data,
  );
}
