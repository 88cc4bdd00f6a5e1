import { useSyncExternalStore } from 'react';
import { session, type SessionUser } from '../api/client';

export function useSession(): SessionUser | null {
  return useSyncExternalStore(session.subscribe, session.user);
}

/** The page a person of this role starts on. */
export function homeFor(user: SessionUser): string {
  return user.role === 'member' ? '/messages' : '/inbox';
}
