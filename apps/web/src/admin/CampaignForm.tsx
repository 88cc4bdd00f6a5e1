import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError, query, upload } from '../api/client';
import { PeoplePicker, type Person } from '../conversations/compose/PeoplePicker';
import { Button, CheckboxGroup, Dialog, DialogActions, ErrorAlert, Field, Progress } from '../ui';
import { browserTimeZone, zonedTimeToInstant } from '../ui/zones';
import { CHANNEL_OPTIONS, type Channel } from '../staff/types';
import styles from './admin.module.css';

const ROLES = [
  ['member', 'Members'],
  ['staff', 'Staff'],
  ['admin', 'Admins'],
] as const;

type AudienceKind = 'segment' | 'users' | 'csv';
interface Named {
  id: string;
  name: string;
}

const asOptions = (named: Named[] | undefined) => (named ?? []).map((item) => ({ value: item.id, label: item.name }));

const findPeople = async (text: string) => (await api.get<{ items: Person[] }>(`/v1/users${query({ q: text, status: 'active', limit: 20 })}`)).items;

/**
 * A new campaign: the message (with its {{variables}} and a preview as one chosen person will read it), its channels
 * and times, and its audience — a segment, chosen people, or a CSV of emails or user ids.
 */
export function CampaignForm({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [channels, setChannels] = useState<Channel[]>(['message_center']);
  const [deliverLocal, setDeliverLocal] = useState('');
  const [dismissLocal, setDismissLocal] = useState('');
  const [audienceKind, setAudienceKind] = useState<AudienceKind>('segment');
  const [roles, setRoles] = useState<string[]>(['member']);
  const [programIds, setProgramIds] = useState<string[]>([]);
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [clientAccountIds, setClientAccountIds] = useState<string[]>([]);
  const [people, setPeople] = useState<Person[]>([]);
  const [csv, setCsv] = useState<{ name: string; progress: number; id?: string; error?: string } | null>(null);
  const [fallbackSms, setFallbackSms] = useState(false);
  const [previewFor, setPreviewFor] = useState<Person[]>([]);
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const timeZone = browserTimeZone();

  const programs = useQuery({ queryKey: ['programs'], queryFn: async () => (await api.get<{ items: Named[] }>('/v1/programs')).items, enabled: open });
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => api.get<Named[]>('/v1/teams'), enabled: open });
  const accounts = useQuery({ queryKey: ['client-accounts'], queryFn: () => api.get<Named[]>('/v1/client-accounts'), enabled: open });

  const previewUser = previewFor[0];
  const preview = useQuery({
    queryKey: ['campaign-preview', title, body, previewUser?.id],
    queryFn: () => api.post<{ title: string; body: string }>('/v1/campaigns/preview', { title, body, userId: previewUser!.id }),
    enabled: Boolean(previewUser && title && body),
    retry: false,
  });

  const audience =
    audienceKind === 'segment'
      ? {
          segment: {
            ...(roles.length ? { roles } : {}),
            ...(programIds.length ? { programIds } : {}),
            ...(teamIds.length ? { teamIds } : {}),
            ...(clientAccountIds.length ? { clientAccountIds } : {}),
          },
        }
      : audienceKind === 'users'
        ? { userIds: people.map((p) => p.id) }
        : { csvAttachmentId: csv?.id };

  const create = useMutation({
    mutationFn: () =>
      api.post<{ id: string }>(
        '/v1/campaigns',
        {
          name: name.trim(),
          title,
          body,
          channels,
          ...(deliverLocal ? { deliverAt: zonedTimeToInstant(deliverLocal, timeZone).toISOString() } : {}),
          ...(dismissLocal ? { dismissAt: zonedTimeToInstant(dismissLocal, timeZone).toISOString() } : {}),
          audience,
          ...(fallbackSms ? { fallback: { email: 'sms' } } : {}),
        },
        { 'Idempotency-Key': idempotencyKey },
      ),
    onSuccess: (campaign) => onCreated(campaign.id),
  });

  function chooseCsv(file: File | undefined) {
    if (!file) return;
    setCsv({ name: file.name, progress: 0 });
    const form = new FormData();
    form.append('file', file);
    upload<{ id: string }>('/v1/attachments', form, (progress) => setCsv((current) => current && { ...current, progress }))
      .then((answer) => setCsv((current) => current && { ...current, id: answer.id, progress: 1 }))
      .catch((error: unknown) => setCsv((current) => current && { ...current, error: error instanceof ApiError ? error.summary : 'The upload failed.' }));
  }

  const error = create.error instanceof ApiError ? create.error : null;
  const fieldMessage = (field: string) => error?.details.find((d) => d.field === field || d.field.startsWith(`${field}.`))?.message;
  const audienceReady =
    audienceKind === 'segment'
      ? roles.length + programIds.length + teamIds.length + clientAccountIds.length > 0
      : audienceKind === 'users'
        ? people.length > 0
        : Boolean(csv?.id);
  const ready = name.trim() && title.trim() && body.trim() && channels.length > 0 && audienceReady && !create.isPending;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ready) create.mutate();
  };

  return (
    <Dialog title="New campaign" open={open} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {error && !['name', 'title', 'body', 'channels', 'deliverAt', 'dismissAt', 'audience', 'fallback'].some((f) => fieldMessage(f)) && (
          <ErrorAlert error={error} />
        )}
        <Field label="Campaign name" hint="For you; recipients never see it." error={fieldMessage('name')}>
          {(props) => <input {...props} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Title" hint="May name {{recipient.firstName}}, {{recipient.name}} and {{organization.name}}." error={fieldMessage('title')}>
          {(props) => <input {...props} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <Field label="Message" error={fieldMessage('body')}>
          {(props) => <textarea {...props} rows={5} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
        <fieldset className={styles.fieldset}>
          <legend>Delivery</legend>
          <CheckboxGroup legend="Channels" options={CHANNEL_OPTIONS} chosen={channels} onChange={setChannels} error={fieldMessage('channels')} />
          {channels.includes('email') && (
            <label className={styles.check}>
              <input type="checkbox" checked={fallbackSms} onChange={(e) => setFallbackSms(e.target.checked)} /> Text (SMS) whoever’s email bounces
            </label>
          )}
        </fieldset>
        <div className={styles.grid}>
          <Field label="Deliver at (empty: now)" hint={`Your time, ${timeZone}.`} error={fieldMessage('deliverAt')}>
            {(props) => <input {...props} type="datetime-local" value={deliverLocal} onChange={(e) => setDeliverLocal(e.target.value)} />}
          </Field>
          <Field label="Dismiss at (optional)" hint={`Your time, ${timeZone}.`} error={fieldMessage('dismissAt')}>
            {(props) => <input {...props} type="datetime-local" value={dismissLocal} onChange={(e) => setDismissLocal(e.target.value)} />}
          </Field>
        </div>
        <fieldset className={styles.fieldset}>
          <legend>Audience</legend>
          <div className={styles.options} role="radiogroup" aria-label="Audience kind">
            {(
              [
                ['segment', 'A segment'],
                ['users', 'Chosen people'],
                ['csv', 'A CSV file'],
              ] as const
            ).map(([kind, label]) => (
              <label key={kind} className={styles.check}>
                <input type="radio" name="audience-kind" checked={audienceKind === kind} onChange={() => setAudienceKind(kind)} /> {label}
              </label>
            ))}
          </div>
          {audienceKind === 'segment' && (
            <>
              <CheckboxGroup legend="Roles" options={ROLES.map(([value, label]) => ({ value, label }))} chosen={roles} onChange={setRoles} />
              {(programs.data?.length ?? 0) > 0 && (
                <CheckboxGroup legend="Programs" options={asOptions(programs.data)} chosen={programIds} onChange={setProgramIds} />
              )}
              {(teams.data?.length ?? 0) > 0 && <CheckboxGroup legend="Teams" options={asOptions(teams.data)} chosen={teamIds} onChange={setTeamIds} />}
              {(accounts.data?.length ?? 0) > 0 && (
                <CheckboxGroup legend="Client accounts" options={asOptions(accounts.data)} chosen={clientAccountIds} onChange={setClientAccountIds} />
              )}
              <p className={styles.meta}>Everyone matching all the groups chosen; deactivated users are skipped.</p>
            </>
          )}
          {audienceKind === 'users' && <PeoplePicker legend="Recipients" source="organization" find={findPeople} chosen={people} onChange={setPeople} />}
          {audienceKind === 'csv' && (
            <Field label="CSV file" hint="A header row with an email or userId column; one recipient per row.">
              {(props) => <input {...props} type="file" accept=".csv,text/csv" onChange={(e) => chooseCsv(e.target.files?.[0])} />}
            </Field>
          )}
          {audienceKind === 'csv' && csv && (
            <div>
              {csv.name} {csv.error ? <span role="alert">— {csv.error}</span> : <Progress value={csv.progress} label={`Uploading ${csv.name}`} />}
            </div>
          )}
          {fieldMessage('audience') && (
            <p role="alert" className={styles.meta}>
              {fieldMessage('audience')}
            </p>
          )}
        </fieldset>
        <fieldset className={styles.fieldset}>
          <legend>Preview</legend>
          <PeoplePicker
            legend="Preview for"
            source="organization"
            find={findPeople}
            chosen={previewFor}
            onChange={(chosen) => setPreviewFor(chosen.slice(-1))}
          />
          {preview.data && (
            <div className={styles.preview} aria-label={`Preview for ${previewUser?.name}`} role="region">
              <strong>{preview.data.title}</strong>
              {'\n'}
              {preview.data.body}
            </div>
          )}
          <ErrorAlert error={preview.error} />
        </fieldset>
        <DialogActions>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={!ready}>
            {deliverLocal ? 'Schedule campaign' : 'Send campaign now'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
