/**
 * How the portal stays live: TanStack Query polls what can change under a person's eyes (unread counts, the
 * message center, chats, the task queue, campaign progress) every LIVE_POLL_MS while the tab is visible, and again
 * the moment the tab regains focus. Polling, not server-sent events: it needs nothing from the API beyond its
 * routes, survives API restarts and proxies without reconnect logic, and at this interval costs a few requests
 * a minute per open tab.
 */
export const LIVE_POLL_MS = 10_000;

/** Faster while something is visibly moving (a campaign in progress, a countdown nearing zero). */
export const BUSY_POLL_MS = 2_000;
