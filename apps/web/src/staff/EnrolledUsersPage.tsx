import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { Badge, Button, controlClass, Empty, ErrorAlert, layoutStyles, Loading, PageHeader, ShowMore } from '../ui';
import { SendMessageDialog } from './SendMessageDialog';
import styles from './staff.module.css';
import type { DirectoryUser } from './types';

/** A row's More menu: a disclosure of actions, closed by Escape or by leaving it. */
function MoreMenu({ user, onSend }: { user: DirectoryUser; onSend: () => void }) {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    ref.current?.querySelector<HTMLButtonElement>('ul button')?.focus();
  }, [open]);
  return (
    <div
      className={styles.menu}
      ref={ref}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          ref.current?.querySelector<HTMLButtonElement>('button')?.focus();
        }
      }}
      onBlur={(e) => {
        if (!ref.current?.contains(e.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      <Button variant="secondary" aria-expanded={open} aria-label={`More for ${user.name}`} onClick={() => setOpen(!open)}>
        More ▾
      </Button>
      {open && (
        <ul className={styles.menuList}>
          <li>
            <button
              type="button"
              onClick={() => {
                setOpen(false);
                onSend();
              }}
            >
              Send Message to User
            </button>
          </li>
          <li>
            <button type="button" onClick={() => void navigate(`/user-messages?recipientId=${user.id}`)}>
              View their messages
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

/** Every member of the organisation, a row each, found by name or email, a page of 50 at a time. */
export default function EnrolledUsersPage() {
  const [search, setSearch] = useSearchParams();
  const words = search.get('q') ?? '';
  const [sendingTo, setSendingTo] = useState<DirectoryUser | null>(null);
  const users = useInfiniteQuery({
    queryKey: ['users', 'members', words],
    queryFn: ({ pageParam }) =>
      api.get<{ items: DirectoryUser[]; nextCursor: string | null }>(`/v1/users${query({ role: 'member', q: words, limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = users.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title="Enrolled Users">
        <form
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            const typed = new FormData(event.currentTarget).get('q');
            setSearch(typeof typed === 'string' && typed.trim() ? { q: typed.trim() } : {});
          }}
        >
          <label htmlFor="user-search" className="visually-hidden">
            Find a user by name or email
          </label>
          <input id="user-search" name="q" type="search" className={controlClass} placeholder="Find by name or email" defaultValue={words} key={words} />
        </form>
      </PageHeader>
      <ErrorAlert error={users.error} />
      {users.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>{words ? `Nobody matches “${words}”.` : 'No enrolled users yet.'}</Empty>
      ) : (
        <table className={layoutStyles.table}>
          <caption className="visually-hidden">Enrolled users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Time zone</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((user) => (
              <tr key={user.id}>
                <th scope="row">{user.name}</th>
                <td>{user.email}</td>
                <td>{user.phone ?? '—'}</td>
                <td>{user.timezone ?? 'Organisation’s'}</td>
                <td>{user.status === 'active' ? <Badge tone="ok">Active</Badge> : <Badge tone="warn">Deactivated</Badge>}</td>
                <td>{user.status === 'active' && <MoreMenu user={user} onSend={() => setSendingTo(user)} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={users} />
      <SendMessageDialog user={sendingTo} onClose={() => setSendingTo(null)} />
    </>
  );
}
