import { useQuery } from '@tanstack/react-query';
import { Suspense, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { api, logOut, type SessionUser } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { useSession } from '../auth/useSession';
import { ShortcutsDialog, useShortcut } from '../keyboard/shortcuts';
import { Loading } from '../ui';
import styles from './shell.module.css';

function MemberNav() {
  const unreadMessages = useQuery({
    queryKey: ['me', 'messages', 'unread-count'],
    queryFn: () => api.get<{ count: number }>('/v1/me/messages/unread-count'),
    refetchInterval: LIVE_POLL_MS,
  });
  const unreadChats = useQuery({
    queryKey: ['me', 'chats', 'unread'],
    queryFn: () => api.get<{ hasUnread: boolean; count: number }>('/v1/me/chats/unread'),
    refetchInterval: LIVE_POLL_MS,
  });
  const messages = unreadMessages.data?.count ?? 0;
  return (
    <>
      <NavLink to="/messages">
        Messages
        {messages > 0 && (
          <span className={styles.count} aria-label={`${messages} unread`}>
            {messages}
          </span>
        )}
      </NavLink>
      <NavLink to="/chats">
        Chats
        {unreadChats.data?.hasUnread && <span className={styles.dot} role="img" aria-label="unread chat messages" data-testid="chats-dot" />}
      </NavLink>
      <NavLink to="/conversations">Conversations</NavLink>
    </>
  );
}

function StaffNav({ user }: { user: SessionUser }) {
  return (
    <>
      <NavLink to="/inbox">Inbox</NavLink>
      <NavLink to="/tasks">Tasks</NavLink>
      <NavLink to="/enrolled-users">Enrolled Users</NavLink>
      <NavLink to="/user-messages">User Messages</NavLink>
      <NavLink to="/away">Away</NavLink>
      {user.role === 'admin' && (
        <>
          <NavLink to="/campaigns">Campaigns</NavLink>
          <NavLink to="/directory">Directory</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </>
      )}
    </>
  );
}

export default function Shell() {
  const user = useSession();
  const navigate = useNavigate();
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  useShortcut({ key: '/', ctrl: true, inFields: true, description: 'Show the keyboard shortcuts', group: 'Everywhere' }, () => setShortcutsOpen(true));
  useShortcut(
    { key: 'i', after: 'g', description: 'Go to the inbox', group: 'Messaging' },
    () => void navigate(user?.role === 'member' ? '/conversations' : '/inbox'),
  );
  if (!user) return null;
  return (
    <div className={styles.frame}>
      <a className={styles.skip} href="#main">
        Skip to content
      </a>
      <header className={styles.top}>
        <NavLink to="/" className={styles.brand} aria-label="Tidings home">
          <img src="/favicon.svg" alt="" width={24} height={24} /> Tidings
        </NavLink>
        <nav className={styles.nav} aria-label="Main">
          {user.role === 'member' ? <MemberNav /> : <StaffNav user={user} />}
        </nav>
        <div className={styles.user}>
          <button type="button" onClick={() => setShortcutsOpen(true)} aria-label="Keyboard shortcuts (Ctrl+/)" title="Keyboard shortcuts (Ctrl+/)">
            ⌨
          </button>
          <span>{user.name}</span>
          <button type="button" onClick={() => void logOut()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}
