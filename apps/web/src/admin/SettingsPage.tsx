import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, query } from '../api/client';
import { Alert, Badge, Button, Card, ErrorAlert, Field, Loading, PageHeader } from '../ui';
import styles from './admin.module.css';

interface BusinessHours {
  timezone: string;
  days: number[];
  start: string;
  end: string;
}

interface Settings {
  notificationMode: 'privacy' | 'convenience';
  allowContactsToReopen: boolean;
  contactMessaging: { restrictToCoordinator: boolean; allowedStaffIds: string[]; allowedTeamIds: string[] };
  readNotificationUserIds: string[];
  unreadReminderMinutes: number;
  sessionIdleMinutes: number;
  timezone: string;
  quietHours: { start: string; end: string } | null;
  chatRequests: {
    intro: string;
    firstResponseMinutes: number;
    escalateAfterMinutes: number;
    supervisorTeamId: string | null;
    businessHours: BusinessHours | null;
  };
}

interface Named {
  id: string;
  name: string;
}

interface Reason {
  id: string;
  label: string;
  active: boolean;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const ZONES: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `settings-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <Card aria-labelledby={id} className={styles.section}>
      <h2 id={id}>{title}</h2>
      {children}
    </Card>
  );
}

function Check({ label, checked, onChange }: { label: ReactNode; checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <label className={styles.check}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

function ManyOf({ legend, options, chosen, onChange }: { legend: string; options: Named[]; chosen: string[]; onChange: (ids: string[]) => void }) {
  return (
    <fieldset className={styles.fieldset}>
      <legend>{legend}</legend>
      {options.length === 0 ? (
        <p className={styles.meta}>None yet.</p>
      ) : (
        <div className={styles.options}>
          {options.map((option) => (
            <Check
              key={option.id}
              label={option.name}
              checked={chosen.includes(option.id)}
              onChange={(on) => onChange(on ? [...chosen, option.id] : chosen.filter((id) => id !== option.id))}
            />
          ))}
        </div>
      )}
    </fieldset>
  );
}

/** The organisation's chat-request reasons: add, rename, retire (a used reason is retired, never lost). */
function Reasons() {
  const queryClient = useQueryClient();
  const [label, setLabel] = useState('');
  const reasons = useQuery({ queryKey: ['chat-request-reasons', 'all'], queryFn: () => api.get<{ items: Reason[] }>('/v1/chat-request-reasons') });
  const list = reasons.data?.items ?? [];
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['chat-request-reasons'] });
  const add = useMutation({
    mutationFn: () => api.post('/v1/chat-request-reasons', { label: label.trim() }),
    onSuccess: async () => {
      setLabel('');
      await refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (reason: Reason) => api.patch(`/v1/chat-request-reasons/${reason.id}`, { active: !reason.active }),
    onSettled: refresh,
  });
  return (
    <>
      <ErrorAlert error={reasons.error ?? add.error ?? toggle.error} />
      <ul className={styles.list} aria-label="Chat request reasons">
        {list.map((reason) => (
          <li key={reason.id} className={styles.item}>
            <span>
              {reason.label} {!reason.active && <Badge tone="warn">Retired</Badge>}
            </span>
            <Button variant="quiet" onClick={() => toggle.mutate(reason)}>
              {reason.active ? 'Retire' : 'Bring back'}
              <span className="visually-hidden"> {reason.label}</span>
            </Button>
          </li>
        ))}
      </ul>
      <form
        className={styles.grid}
        onSubmit={(event) => {
          event.preventDefault();
          if (label.trim()) add.mutate();
        }}
      >
        <Field label="New reason">{(props) => <input {...props} value={label} maxLength={100} onChange={(e) => setLabel(e.target.value)} />}</Field>
        <div style={{ marginBottom: '0.9rem' }}>
          <Button type="submit" variant="secondary" disabled={!label.trim() || add.isPending}>
            Add reason
          </Button>
        </div>
      </form>
    </>
  );
}

/** Everything an admin decides for the organisation, saved together; the API names any field it refuses. */
export default function SettingsPage() {
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('/v1/organization/settings') });
  const staff = useQuery({
    queryKey: ['users', 'staff-and-admins-named'],
    queryFn: async () => {
      const pages = await Promise.all(
        (['staff', 'admin'] as const).map((role) => api.get<{ items: Named[] }>(`/v1/users${query({ role, status: 'active', limit: 100 })}`)),
      );
      return pages.flatMap((page) => page.items).sort((a, b) => a.name.localeCompare(b.name));
    },
  });
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => api.get<Named[]>('/v1/teams') });
  const [draft, setDraft] = useState<Settings | null>(null);
  useEffect(() => {
    if (settings.data && !draft) setDraft(settings.data);
  }, [settings.data, draft]);
  const save = useMutation({
    mutationFn: (next: Settings) => api.patch<Settings>('/v1/organization/settings', next),
    onSuccess: (saved) => {
      queryClient.setQueryData(['settings'], saved);
      setDraft(saved);
    },
  });

  if (!draft) return settings.error ? <ErrorAlert error={settings.error} /> : <Loading />;
  const error = save.error instanceof ApiError ? save.error : null;
  const problem = (field: string) => error?.messageFor(field);
  const set = (change: Partial<Settings>) => setDraft({ ...draft, ...change });
  const setChat = (change: Partial<Settings['chatRequests']>) => set({ chatRequests: { ...draft.chatRequests, ...change } });
  const hours = draft.chatRequests.businessHours;
  const setHours = (change: Partial<BusinessHours>) =>
    setChat({ businessHours: { ...(hours ?? { timezone: draft.timezone, days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' }), ...change } });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(draft);
  };

  return (
    <>
      <form onSubmit={submit} noValidate>
        <PageHeader title="Settings">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </Button>
        </PageHeader>
        {save.isSuccess && <Alert tone="success">Settings saved.</Alert>}
        {error && <ErrorAlert error={error} />}

        <Section title="Notifications">
          <fieldset className={styles.fieldset}>
            <legend>What notifications say</legend>
            <label className={styles.check}>
              <input type="radio" name="mode" checked={draft.notificationMode === 'privacy'} onChange={() => set({ notificationMode: 'privacy' })} /> Privacy:
              only that a message is waiting (content stays in Tidings)
            </label>
            <br />
            <label className={styles.check}>
              <input type="radio" name="mode" checked={draft.notificationMode === 'convenience'} onChange={() => set({ notificationMode: 'convenience' })} />{' '}
              Convenience: the message itself, and email replies come back into the conversation
            </label>
          </fieldset>
          <div className={styles.grid}>
            <Field label="Unread reminder after (minutes, 0 = none)" error={problem('unreadReminderMinutes')}>
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={0}
                  value={draft.unreadReminderMinutes}
                  onChange={(e) => set({ unreadReminderMinutes: Number(e.target.value) })}
                />
              )}
            </Field>
            <Field label="Time zone" error={problem('timezone')}>
              {(props) => (
                <select {...props} value={draft.timezone} onChange={(e) => set({ timezone: e.target.value })}>
                  {ZONES.map((zone) => (
                    <option key={zone}>{zone}</option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <Check
            label="Quiet hours: hold texts and pushes overnight"
            checked={Boolean(draft.quietHours)}
            onChange={(on) => set({ quietHours: on ? { start: '21:00', end: '08:00' } : null })}
          />
          {draft.quietHours && (
            <div className={styles.grid}>
              <Field label="Quiet from" error={problem('quietHours.start')}>
                {(props) => (
                  <input
                    {...props}
                    type="time"
                    value={draft.quietHours!.start}
                    onChange={(e) => set({ quietHours: { ...draft.quietHours!, start: e.target.value } })}
                  />
                )}
              </Field>
              <Field label="Quiet until" error={problem('quietHours.end')}>
                {(props) => (
                  <input
                    {...props}
                    type="time"
                    value={draft.quietHours!.end}
                    onChange={(e) => set({ quietHours: { ...draft.quietHours!, end: e.target.value } })}
                  />
                )}
              </Field>
            </div>
          )}
          <ManyOf
            legend="Told when a contact reads a message (read-notification users)"
            options={staff.data ?? []}
            chosen={draft.readNotificationUserIds}
            onChange={(ids) => set({ readNotificationUserIds: ids })}
          />
        </Section>

        <Section title="Conversations">
          <Check label="Contacts may reopen closed conversations" checked={draft.allowContactsToReopen} onChange={(on) => set({ allowContactsToReopen: on })} />
          <fieldset className={styles.fieldset}>
            <legend>Whom contacts may message</legend>
            <Check
              label="Only their coordinator"
              checked={draft.contactMessaging.restrictToCoordinator}
              onChange={(on) => set({ contactMessaging: { ...draft.contactMessaging, restrictToCoordinator: on } })}
            />
            <ManyOf
              legend="Or these staff"
              options={staff.data ?? []}
              chosen={draft.contactMessaging.allowedStaffIds}
              onChange={(ids) => set({ contactMessaging: { ...draft.contactMessaging, allowedStaffIds: ids } })}
            />
            <ManyOf
              legend="Or these teams"
              options={teams.data ?? []}
              chosen={draft.contactMessaging.allowedTeamIds}
              onChange={(ids) => set({ contactMessaging: { ...draft.contactMessaging, allowedTeamIds: ids } })}
            />
          </fieldset>
          <Field label="Log out after inactivity (minutes)" error={problem('sessionIdleMinutes')}>
            {(props) => (
              <input
                {...props}
                type="number"
                min={5}
                max={1440}
                value={draft.sessionIdleMinutes}
                onChange={(e) => set({ sessionIdleMinutes: Number(e.target.value) })}
              />
            )}
          </Field>
        </Section>

        <Section title="Chat requests">
          <Field label="Intro shown above the Request a Chat form" error={problem('chatRequests.intro')}>
            {(props) => <textarea {...props} rows={2} value={draft.chatRequests.intro} onChange={(e) => setChat({ intro: e.target.value })} />}
          </Field>
          <div className={styles.grid}>
            <Field label="First response due within (minutes)" error={problem('chatRequests.firstResponseMinutes')}>
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={1}
                  value={draft.chatRequests.firstResponseMinutes}
                  onChange={(e) => setChat({ firstResponseMinutes: Number(e.target.value) })}
                />
              )}
            </Field>
            <Field label="Escalate after (minutes)" error={problem('chatRequests.escalateAfterMinutes')}>
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={1}
                  value={draft.chatRequests.escalateAfterMinutes}
                  onChange={(e) => setChat({ escalateAfterMinutes: Number(e.target.value) })}
                />
              )}
            </Field>
            <Field label="Supervisors" error={problem('chatRequests.supervisorTeamId')}>
              {(props) => (
                <select {...props} value={draft.chatRequests.supervisorTeamId ?? ''} onChange={(e) => setChat({ supervisorTeamId: e.target.value || null })}>
                  <option value="">Admins only</option>
                  {(teams.data ?? []).map((team) => (
                    <option key={team.id} value={team.id}>
                      {team.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <Check
            label="Count the clocks in business hours only"
            checked={Boolean(hours)}
            onChange={(on) => (on ? setHours({}) : setChat({ businessHours: null }))}
          />
          {hours && (
            <>
              <fieldset className={styles.fieldset}>
                <legend>Business days</legend>
                <div className={styles.options}>
                  {DAYS.map((day, index) => (
                    <Check
                      key={day}
                      label={day}
                      checked={hours.days.includes(index + 1)}
                      onChange={(on) => setHours({ days: on ? [...hours.days, index + 1].sort() : hours.days.filter((d) => d !== index + 1) })}
                    />
                  ))}
                </div>
              </fieldset>
              <div className={styles.grid}>
                <Field label="Opens" error={problem('chatRequests.businessHours.start')}>
                  {(props) => <input {...props} type="time" value={hours.start} onChange={(e) => setHours({ start: e.target.value })} />}
                </Field>
                <Field label="Closes" error={problem('chatRequests.businessHours.end')}>
                  {(props) => <input {...props} type="time" value={hours.end} onChange={(e) => setHours({ end: e.target.value })} />}
                </Field>
                <Field label="Business hours time zone" error={problem('chatRequests.businessHours.timezone')}>
                  {(props) => (
                    <select {...props} value={hours.timezone} onChange={(e) => setHours({ timezone: e.target.value })}>
                      {ZONES.map((zone) => (
                        <option key={zone}>{zone}</option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
            </>
          )}
        </Section>
      </form>
      <Section title="Chat request reasons">
        <p className={styles.meta}>What members choose from when they request a chat. Changes here apply at once.</p>
        <Reasons />
      </Section>
    </>
  );
}
