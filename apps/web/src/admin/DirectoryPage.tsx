import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, ApiError, query } from '../api/client';
import { PeoplePicker, type Person } from '../conversations/compose/PeoplePicker';
import { StaffPicker } from '../tasks/StaffPicker';
import { Alert, Badge, Button, Card, controlClass, Empty, ErrorAlert, Field, layoutStyles, Loading, PageHeader, ShowMore, tabStyles } from '../ui';
import { formatDateTime } from '../ui/time';
import type { DirectoryUser } from '../staff/types';
import styles from './admin.module.css';

interface Named {
  id: string;
  name: string;
}
interface Team extends Named {
  memberIds: string[];
}
interface Enrollment {
  id: string;
  programId: string;
  member: Named;
  careManager: Named;
}

const TABS = [
  ['users', 'Users'],
  ['programs', 'Programs'],
  ['teams', 'Teams'],
  ['client-accounts', 'Client accounts'],
] as const;
type Tab = (typeof TABS)[number][0];

const findPeople = async (text: string) => (await api.get<{ items: Person[] }>(`/v1/users${query({ q: text, status: 'active', limit: 20 })}`)).items;
const findMembers = async (text: string) =>
  (await api.get<{ items: Person[] }>(`/v1/users${query({ q: text, role: 'member', status: 'active', limit: 20 })}`)).items;

function NewUser() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: '', email: '', role: 'member', phone: '' });
  const create = useMutation({
    mutationFn: () =>
      api.post<DirectoryUser>('/v1/users', {
        name: form.name.trim(),
        email: form.email.trim(),
        role: form.role,
        ...(form.phone ? { phone: form.phone.trim() } : {}),
      }),
    onSuccess: async () => {
      setForm({ name: '', email: '', role: 'member', phone: '' });
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const error = create.error instanceof ApiError ? create.error : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Card aria-labelledby="new-user">
      <h2 id="new-user">Add a user</h2>
      <p className={styles.meta}>They set their own password from a reset link (Send password reset, below).</p>
      {create.isSuccess && <Alert tone="success">{create.data.name} was added.</Alert>}
      {error && !['name', 'email', 'role', 'phone'].some((f) => error.messageFor(f)) && <ErrorAlert error={error} />}
      <form className={styles.grid} onSubmit={submit} noValidate>
        <Field label="Name" error={error?.messageFor('name')}>
          {(props) => <input {...props} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field label="Email" error={error?.messageFor('email')}>
          {(props) => <input {...props} type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />}
        </Field>
        <Field label="Role" error={error?.messageFor('role')}>
          {(props) => (
            <select {...props} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
              <option value="member">Member</option>
              <option value="staff">Staff</option>
              <option value="admin">Admin</option>
            </select>
          )}
        </Field>
        <Field label="Mobile phone (optional)" hint="E.164, such as +15551234567" error={error?.messageFor('phone')}>
          {(props) => <input {...props} type="tel" value={form.phone} onChange={(e) => setForm({ ...form, phone: e.target.value })} />}
        </Field>
        <div style={{ marginBottom: '0.9rem' }}>
          <Button type="submit" disabled={!form.name.trim() || !form.email.trim() || create.isPending}>
            Add user
          </Button>
        </div>
      </form>
    </Card>
  );
}

function UserRow({ user }: { user: DirectoryUser }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: (patch: Partial<Pick<DirectoryUser, 'role' | 'status'>>) => api.patch<DirectoryUser>(`/v1/users/${user.id}`, patch),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
  const reset = useMutation({
    mutationFn: () => api.post<{ expiresAt: string }>(`/v1/users/${user.id}/password-reset`),
    onSuccess: (answer) => setNotice(`Reset link sent to ${user.email}; it works until ${formatDateTime(answer.expiresAt)}.`),
  });
  return (
    <tr>
      <th scope="row">{user.name}</th>
      <td>{user.email}</td>
      <td>
        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
          Role of {user.name}
        </label>
        <select
          id={`role-${user.id}`}
          className={controlClass}
          value={user.role}
          onChange={(e) => change.mutate({ role: e.target.value as DirectoryUser['role'] })}
          disabled={change.isPending}
        >
          <option value="member">Member</option>
          <option value="staff">Staff</option>
          <option value="admin">Admin</option>
        </select>
      </td>
      <td>{user.status === 'active' ? <Badge tone="ok">Active</Badge> : <Badge tone="warn">Deactivated</Badge>}</td>
      <td>
        <div className={styles.actions}>
          {user.status === 'active' ? (
            <Button
              variant="danger"
              onClick={() => window.confirm(`Deactivate ${user.name}? Their sessions end at once.`) && change.mutate({ status: 'deactivated' })}
            >
              Deactivate<span className="visually-hidden"> {user.name}</span>
            </Button>
          ) : (
            <Button variant="secondary" onClick={() => change.mutate({ status: 'active' })}>
              Reactivate<span className="visually-hidden"> {user.name}</span>
            </Button>
          )}
          {user.status === 'active' && (
            <Button variant="secondary" onClick={() => reset.mutate()} disabled={reset.isPending}>
              Send password reset<span className="visually-hidden"> to {user.name}</span>
            </Button>
          )}
        </div>
        {notice && <Alert tone="success">{notice}</Alert>}
        <ErrorAlert error={change.error ?? reset.error} />
      </td>
    </tr>
  );
}

function UsersTab() {
  const [words, setWords] = useState('');
  const users = useInfiniteQuery({
    queryKey: ['users', 'directory', words],
    queryFn: ({ pageParam }) => api.get<{ items: DirectoryUser[]; nextCursor: string | null }>(`/v1/users${query({ q: words, limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = users.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <NewUser />
      <form
        role="search"
        className={styles.actions}
        onSubmit={(event) => {
          event.preventDefault();
          const typed = new FormData(event.currentTarget).get('q');
          setWords(typeof typed === 'string' ? typed.trim() : '');
        }}
      >
        <label htmlFor="directory-search" className="visually-hidden">
          Find a user
        </label>
        <input id="directory-search" name="q" type="search" className={controlClass} placeholder="Find by name or email" />
      </form>
      <ErrorAlert error={users.error} />
      {users.isPending ? (
        <Loading />
      ) : (
        <table className={layoutStyles.table}>
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((user) => (
              <UserRow key={user.id} user={user} />
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={users} />
    </>
  );
}

function ProgramEnrollments({ program }: { program: Named }) {
  const queryClient = useQueryClient();
  const [member, setMember] = useState<Person[]>([]);
  const [careManagerId, setCareManagerId] = useState('');
  const key = ['programs', program.id, 'enrollments'];
  const enrollments = useQuery({ queryKey: key, queryFn: () => api.get<{ items: Enrollment[] }>(`/v1/programs/${program.id}/enrollments`) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: key });
  const enroll = useMutation({
    mutationFn: () => api.post(`/v1/programs/${program.id}/enrollments`, { memberId: member[0].id, careManagerId }),
    onSuccess: async () => {
      setMember([]);
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: (args: { id: string; careManagerId: string }) => api.patch(`/v1/enrollments/${args.id}`, { careManagerId: args.careManagerId }),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => api.delete(`/v1/enrollments/${id}`), onSettled: refresh });
  return (
    <Card aria-labelledby={`program-${program.id}`} className={styles.section}>
      <h2 id={`program-${program.id}`}>{program.name}</h2>
      <ErrorAlert error={enroll.error ?? change.error ?? remove.error} />
      {enrollments.data?.items.length === 0 && <p className={styles.meta}>Nobody enrolled yet.</p>}
      <ul className={styles.list} aria-label={`Enrolled in ${program.name}`}>
        {enrollments.data?.items.map((enrollment) => (
          <li key={enrollment.id} className={styles.item}>
            <span>
              {enrollment.member.name} — care manager {enrollment.careManager.name}
            </span>
            <span className={styles.actions}>
              <StaffPicker
                label={`New care manager for ${enrollment.member.name}`}
                value=""
                exclude={[enrollment.careManager.id]}
                onChange={(id) => id && change.mutate({ id: enrollment.id, careManagerId: id })}
              />
              <Button variant="quiet" onClick={() => window.confirm(`Disenrol ${enrollment.member.name}?`) && remove.mutate(enrollment.id)}>
                Disenrol<span className="visually-hidden"> {enrollment.member.name}</span>
              </Button>
            </span>
          </li>
        ))}
      </ul>
      <div className={styles.grid}>
        <PeoplePicker
          legend={`Enrol a member in ${program.name}`}
          source="members"
          find={findMembers}
          chosen={member}
          onChange={(chosen) => setMember(chosen.slice(-1))}
        />
        <StaffPicker label="Care manager" value={careManagerId} onChange={setCareManagerId} />
        <div style={{ marginBottom: '0.9rem' }}>
          <Button variant="secondary" onClick={() => enroll.mutate()} disabled={!member.length || !careManagerId || enroll.isPending}>
            Enrol
          </Button>
        </div>
      </div>
    </Card>
  );
}

function ProgramsTab() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const programs = useQuery({ queryKey: ['programs'], queryFn: async () => (await api.get<{ items: Named[] }>('/v1/programs')).items });
  const create = useMutation({
    mutationFn: () => api.post('/v1/programs', { name: name.trim() }),
    onSuccess: async () => {
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['programs'] });
    },
  });
  return (
    <>
      <form
        className={styles.grid}
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <Field label="New program" error={create.error instanceof ApiError ? create.error.messageFor('name') : undefined}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <div style={{ marginBottom: '0.9rem' }}>
          <Button type="submit" disabled={!name.trim()}>
            Add program
          </Button>
        </div>
      </form>
      {programs.isPending ? (
        <Loading />
      ) : programs.data?.length === 0 ? (
        <Empty>No programs yet.</Empty>
      ) : (
        programs.data?.map((program) => <ProgramEnrollments key={program.id} program={program} />)
      )}
    </>
  );
}

function TeamsTab() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [adding, setAdding] = useState<Record<string, string>>({});
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => api.get<Team[]>('/v1/teams') });
  const people = useQuery({
    queryKey: ['users', 'staff-and-admins-named'],
    queryFn: async () => {
      const pages = await Promise.all((['staff', 'admin'] as const).map((role) => api.get<{ items: Named[] }>(`/v1/users${query({ role, limit: 100 })}`)));
      return pages.flatMap((page) => page.items);
    },
  });
  const nameOf = (id: string) => people.data?.find((p) => p.id === id)?.name ?? 'Someone';
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['teams'] });
  const create = useMutation({
    mutationFn: () => api.post('/v1/teams', { name: name.trim() }),
    onSuccess: async () => {
      setName('');
      await refresh();
    },
  });
  const add = useMutation({
    mutationFn: (args: { teamId: string; userId: string }) => api.post(`/v1/teams/${args.teamId}/members`, { userId: args.userId }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (args: { teamId: string; userId: string }) => api.delete(`/v1/teams/${args.teamId}/members/${args.userId}`),
    onSettled: refresh,
  });
  return (
    <>
      <ErrorAlert error={create.error ?? add.error ?? remove.error} />
      <form
        className={styles.grid}
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <Field label="New team">{(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <div style={{ marginBottom: '0.9rem' }}>
          <Button type="submit" disabled={!name.trim()}>
            Add team
          </Button>
        </div>
      </form>
      {teams.data?.map((team) => (
        <Card key={team.id} aria-labelledby={`team-${team.id}`} className={styles.section}>
          <h2 id={`team-${team.id}`}>{team.name}</h2>
          <ul className={styles.list} aria-label={`Members of ${team.name}`}>
            {team.memberIds.map((userId) => (
              <li key={userId} className={styles.item}>
                {nameOf(userId)}
                <Button variant="quiet" onClick={() => remove.mutate({ teamId: team.id, userId })}>
                  Remove<span className="visually-hidden"> {nameOf(userId)}</span>
                </Button>
              </li>
            ))}
          </ul>
          <div className={styles.grid}>
            <StaffPicker
              label={`Add to ${team.name}`}
              value={adding[team.id] ?? ''}
              exclude={team.memberIds}
              onChange={(id) => setAdding({ ...adding, [team.id]: id })}
            />
            <div style={{ marginBottom: '0.9rem' }}>
              <Button variant="secondary" disabled={!adding[team.id]} onClick={() => add.mutate({ teamId: team.id, userId: adding[team.id] })}>
                Add member
              </Button>
            </div>
          </div>
        </Card>
      ))}
    </>
  );
}

function AccountAccess({ account }: { account: Named }) {
  const queryClient = useQueryClient();
  const [grantee, setGrantee] = useState<Person[]>([]);
  const key = ['client-accounts', account.id, 'users'];
  const users = useQuery({ queryKey: key, queryFn: () => api.get<{ items: Person[] }>(`/v1/client-accounts/${account.id}/users`) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: key });
  const grant = useMutation({
    mutationFn: () => api.post(`/v1/client-accounts/${account.id}/access`, { userId: grantee[0].id }),
    onSuccess: async () => {
      setGrantee([]);
      await refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (userId: string) => api.delete(`/v1/client-accounts/${account.id}/access/${userId}`), onSettled: refresh });
  return (
    <Card aria-labelledby={`account-${account.id}`} className={styles.section}>
      <h2 id={`account-${account.id}`}>{account.name}</h2>
      <ErrorAlert error={grant.error ?? revoke.error} />
      <ul className={styles.list} aria-label={`Who has access to ${account.name}`}>
        {users.data?.items.map((person) => (
          <li key={person.id} className={styles.item}>
            {person.name}
            <Button
              variant="quiet"
              onClick={() => window.confirm(`Revoke ${person.name}'s access? They leave the account's conversations.`) && revoke.mutate(person.id)}
            >
              Revoke<span className="visually-hidden"> {person.name}</span>
            </Button>
          </li>
        ))}
      </ul>
      <div className={styles.grid}>
        <PeoplePicker
          legend={`Give access to ${account.name}`}
          source="organization"
          find={findPeople}
          chosen={grantee}
          onChange={(chosen) => setGrantee(chosen.slice(-1))}
        />
        <div style={{ marginBottom: '0.9rem' }}>
          <Button variant="secondary" disabled={!grantee.length || grant.isPending} onClick={() => grant.mutate()}>
            Grant access
          </Button>
        </div>
      </div>
    </Card>
  );
}

function ClientAccountsTab() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const accounts = useQuery({ queryKey: ['client-accounts'], queryFn: () => api.get<Named[]>('/v1/client-accounts') });
  const create = useMutation({
    mutationFn: () => api.post('/v1/client-accounts', { name: name.trim() }),
    onSuccess: async () => {
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['client-accounts'] });
    },
  });
  return (
    <>
      <ErrorAlert error={create.error} />
      <form
        className={styles.grid}
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <Field label="New client account">{(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <div style={{ marginBottom: '0.9rem' }}>
          <Button type="submit" disabled={!name.trim()}>
            Add client account
          </Button>
        </div>
      </form>
      {accounts.data?.map((account) => (
        <AccountAccess key={account.id} account={account} />
      ))}
    </>
  );
}

/** The organisation's people and structure: users, programs and enrolments, teams, client accounts. */
export default function DirectoryPage() {
  const [search, setSearch] = useSearchParams();
  const tab = (TABS.find(([id]) => id === search.get('tab'))?.[0] ?? 'users') as Tab;
  return (
    <>
      <PageHeader title="Directory" />
      <div className={tabStyles.tabs} role="tablist" aria-label="Directory">
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            className={tabStyles.tab}
            onClick={() => setSearch(id === 'users' ? {} : { tab: id })}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TABS.find(([id]) => id === tab)?.[1]}>
        {tab === 'users' && <UsersTab />}
        {tab === 'programs' && <ProgramsTab />}
        {tab === 'teams' && <TeamsTab />}
        {tab === 'client-accounts' && <ClientAccountsTab />}
      </div>
    </>
  );
}
