import { useEffect, useState } from 'react';
import { createBrowserRouter, Navigate, useLocation, type RouteObject } from 'react-router';
import { refreshSession } from './api/client';
import LoginPage from './auth/LoginPage';
import Shell from './layout/Shell';
import { homeFor, useSession } from './auth/useSession';
import { Empty, Loading } from './ui';

/** Each page is its own chunk, loaded when first visited: the first load carries only the shell and the login. */
const page = (load: () => Promise<{ default: React.ComponentType }>): Pick<RouteObject, 'lazy'> => ({
  lazy: async () => ({ Component: (await load()).default }),
});

/** The shell, once a session exists: a tab opened later gets one from the refresh cookie before anything shows. */
function RequireSession() {
  const user = useSession();
  const location = useLocation();
  const [checked, setChecked] = useState(Boolean(user));
  useEffect(() => {
    if (!user && !checked) void refreshSession().finally(() => setChecked(true));
  }, [user, checked]);
  if (!user) {
    if (!checked) return <Loading label="Opening Tidings…" />;
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Shell />;
}

function Home() {
  const user = useSession();
  return user ? <Navigate to={homeFor(user)} replace /> : null;
}

function NotFound() {
  return <Empty>There is no page here.</Empty>;
}

export const router = createBrowserRouter([
  { path: '/login', Component: LoginPage },
  { path: '/reset-password', ...page(() => import('./auth/ResetPasswordPage')) },
  {
    path: '/',
    Component: RequireSession,
    children: [
      { index: true, Component: Home },
      { path: 'messages', ...page(() => import('./member/MessageCenterPage')) },
      { path: 'chats', ...page(() => import('./member/ChatsPage')) },
      { path: 'chats/:chatId', ...page(() => import('./member/ChatsPage')) },
      { path: 'conversations', ...page(() => import('./conversations/ConversationsPage')) },
      { path: 'conversations/:conversationId', ...page(() => import('./conversations/ConversationsPage')) },
      { path: 'inbox', ...page(() => import('./conversations/ConversationsPage')) },
      { path: 'inbox/:conversationId', ...page(() => import('./conversations/ConversationsPage')) },
      { path: 'enrolled-users', ...page(() => import('./staff/EnrolledUsersPage')) },
      { path: 'user-messages', ...page(() => import('./staff/UserMessagesPage')) },
      { path: 'tasks', ...page(() => import('./tasks/TaskQueuePage')) },
      { path: 'away', ...page(() => import('./tasks/AwayPage')) },
      { path: 'campaigns', ...page(() => import('./admin/CampaignsPage')) },
      { path: 'campaigns/:campaignId', ...page(() => import('./admin/CampaignsPage')) },
      { path: 'settings', ...page(() => import('./admin/SettingsPage')) },
      { path: 'directory', ...page(() => import('./admin/DirectoryPage')) },
      { path: '*', Component: NotFound },
    ],
  },
]);
