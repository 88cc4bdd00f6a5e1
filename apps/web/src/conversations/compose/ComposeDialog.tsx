import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, query } from '../../api/client';
import { useShortcut } from '../../keyboard/shortcuts';
import { Button, Dialog, DialogActions, ErrorAlert, Field, Loading } from '../../ui';
import type { Conversation } from '../types';
import { AttachmentPicker } from './AttachmentPicker';
import styles from './compose.module.css';
import { PeoplePicker, type Person } from './PeoplePicker';
import type { RichTextHandle } from './RichTextEditor';

const RichTextEditor = lazy(() => import('./RichTextEditor'));

export const BCC_NOTE = 'CC contacts are blind-copied: other contacts never see them, and they do not see each other.';

interface CannedResponse {
  id: string;
  title: string;
  body: string;
}

/** A canned-response picker that puts the chosen reply into the editor, where it can still be changed. */
export function CannedResponses({ onInsert }: { onInsert: (html: string) => void }) {
  const canned = useQuery({ queryKey: ['canned-responses'], queryFn: () => api.get<CannedResponse[]>('/v1/canned-responses') });
  if (!canned.data?.length) return null;
  return (
    <Field label="Canned response">
      {(props) => (
        <select
          {...props}
          value=""
          onChange={(e) => {
            const chosen = canned.data.find((c) => c.id === e.target.value);
            if (chosen) onInsert(chosen.body);
          }}
        >
          <option value="">Insert a canned response…</option>
          {canned.data.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * New message: the client account first (it decides who can be addressed), then To and CC, subject, the rich-text
 * body, attachments, canned responses and a read receipt. Ctrl+Enter sends.
 */
export default function ComposeDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const bodyHintId = useId();
  const [clientAccountId, setClientAccountId] = useState('');
  const [to, setTo] = useState<Person[]>([]);
  const [cc, setCc] = useState<Person[]>([]);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState({ html: '', empty: true });
  const [attachments, setAttachments] = useState({ ids: [] as string[], busy: false });
  const [readReceipt, setReadReceipt] = useState(false);
  const editor = useRef<RichTextHandle | null>(null);

  const accounts = useQuery({
    queryKey: ['client-accounts'],
    queryFn: () => api.get<Array<{ id: string; name: string }>>('/v1/client-accounts'),
    enabled: open,
  });
  const accountPeople = useQuery({
    queryKey: ['compose', 'account-people', clientAccountId],
    queryFn: async () => (await api.get<{ items: Person[] }>(`/v1/client-accounts/${clientAccountId}/users`)).items,
    enabled: open && Boolean(clientAccountId),
  });
  /** With a client account, its people; without, anyone active in the organisation, found by the API. */
  const find = async (text: string): Promise<Person[]> => {
    if (clientAccountId) {
      const needle = text.toLowerCase();
      return (accountPeople.data ?? []).filter((person) => person.name.toLowerCase().includes(needle));
    }
    return (await api.get<{ items: Person[] }>(`/v1/users${query({ q: text, status: 'active', limit: 20 })}`)).items;
  };
  const source = clientAccountId ? `account:${clientAccountId}:${accountPeople.dataUpdatedAt}` : 'organization';

  const start = useMutation({
    mutationFn: () =>
      api.post<Conversation>('/v1/conversations', {
        ...(clientAccountId ? { clientAccountId } : {}),
        subject: subject.trim(),
        to: to.map((person) => person.id),
        cc: cc.map((person) => person.id),
        body: body.html,
        attachmentIds: attachments.ids,
        readReceipt,
      }),
    onSuccess: async (conversation) => {
      await queryClient.invalidateQueries({ queryKey: ['conversations'] });
      onClose();
      reset();
      await navigate(`/inbox/${conversation.id}`);
    },
  });
  const reset = () => {
    setClientAccountId('');
    setTo([]);
    setCc([]);
    setSubject('');
    setBody({ html: '', empty: true });
    setAttachments({ ids: [], busy: false });
    setReadReceipt(false);
  };

  const ready = to.length > 0 && subject.trim().length > 0 && !body.empty && !attachments.busy && !start.isPending;
  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (ready) start.mutate();
  };
  useShortcut({ key: 'Enter', ctrl: true, inFields: true, description: 'Send', group: 'Messaging' }, () => send(), open);

  const error = start.error instanceof ApiError ? start.error : null;
  const named = ['to', 'cc', 'subject', 'body', 'clientAccountId'].some((field) => error?.messageFor(field));
  return (
    <Dialog title="New message" open={open} onClose={onClose}>
      <form onSubmit={send} noValidate>
        {!named && <ErrorAlert error={start.error} />}
        <Field
          label="Client account"
          hint="Choose it first: the people with access to it are the ones you can address."
          error={error?.messageFor('clientAccountId')}
        >
          {(props) => (
            <select
              {...props}
              value={clientAccountId}
              onChange={(e) => {
                setClientAccountId(e.target.value);
                setTo([]);
                setCc([]);
              }}
            >
              <option value="">No client account</option>
              {accounts.data?.map((account) => (
                <option key={account.id} value={account.id}>
                  {account.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <PeoplePicker
          legend="To"
          source={source}
          find={find}
          chosen={to}
          exclude={cc.map((person) => person.id)}
          onChange={setTo}
          error={error?.messageFor('to')}
        />
        <PeoplePicker
          legend="CC"
          note={BCC_NOTE}
          source={source}
          find={find}
          chosen={cc}
          exclude={to.map((person) => person.id)}
          onChange={setCc}
          error={error?.messageFor('cc')}
        />
        <Field label="Subject" error={error?.messageFor('subject')}>
          {(props) => <input {...props} value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} />}
        </Field>
        <CannedResponses onInsert={(html) => editor.current?.insertHtml(html)} />
        <div className={styles.people}>
          <span id={bodyHintId} style={{ fontWeight: 600, display: 'block', marginBottom: '0.3rem' }}>
            Message
          </span>
          <Suspense fallback={<Loading label="Loading the editor…" />}>
            <RichTextEditor
              label="Message"
              describedBy={bodyHintId}
              invalid={Boolean(error?.messageFor('body'))}
              onChange={(html, empty) => setBody({ html, empty })}
              onReady={(handle) => (editor.current = handle)}
            />
          </Suspense>
          {error?.messageFor('body') && <p style={{ color: 'var(--danger)' }}>{error.messageFor('body')}</p>}
        </div>
        <AttachmentPicker onChange={(ids, busy) => setAttachments({ ids, busy })} />
        <div className={styles.row} style={{ marginTop: '0.75rem' }}>
          <label className={styles.check}>
            <input type="checkbox" checked={readReceipt} onChange={(e) => setReadReceipt(e.target.checked)} /> Ask for a read receipt
          </label>
        </div>
        <DialogActions>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={!ready} title="Send (Ctrl+Enter)">
            {start.isPending ? 'Sending…' : attachments.busy ? 'Uploading…' : 'Send'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
