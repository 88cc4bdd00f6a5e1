import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { NavLink, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { ThreadView } from '../conversations/ThreadView';
import { Alert, Badge, Button, Card, Dialog, DialogActions, Empty, ErrorAlert, Field, layoutStyles, Loading, PageHeader, UnreadDot } from '../ui';
import { formatShort } from '../ui/time';
import styles from './member.module.css';

interface ChatRequestForm {
  intro: string;
  programs: Array<{ id: string; name: string; careManager: { id: string; name: string } }>;
  defaultProgramId: string | null;
  reasons: Array<{ id: string; label: string }>;
}

interface ChatRequest {
  id: string;
  status: 'open' | 'closed' | 'cancelled';
  program: { id: string; name: string };
  reason: { id: string; label: string };
  comment: string;
  assignee: { id: string; name: string };
  covering: boolean;
  createdAt: string;
  chatId: string;
}

interface ChatSummary {
  id: string;
  careManager: { id: string; name: string };
  program: { id: string; name: string };
  preview: string;
  lastUpdatedAt: string;
  unreadCount: number;
}

const FORM = ['me', 'chat-request-form'];
const OPEN_REQUESTS = ['me', 'chats', 'requests'];
const CHATS = ['me', 'chats', 'list'];

function useChatRequestForm(enabled: boolean) {
  return useQuery({ queryKey: FORM, queryFn: () => api.get<ChatRequestForm>('/v1/me/chat-request-form'), enabled });
}

/** The member's Request a Chat form: program (preset when there is one), reason, and a comment that may not be blank. */
function RequestChatDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (request: ChatRequest) => void }) {
  const form = useChatRequestForm(open);
  const [programId, setProgramId] = useState('');
  const [reasonId, setReasonId] = useState('');
  const [comment, setComment] = useState('');
  const create = useMutation({
    mutationFn: () => api.post<ChatRequest>('/v1/me/chat-requests', { programId: chosenProgram || undefined, reasonId, comment: comment.trim() }),
    onSuccess: (request) => {
      setComment('');
      setReasonId('');
      onCreated(request);
    },
  });
  const chosenProgram = programId || form.data?.defaultProgramId || '';
  const ready = Boolean(chosenProgram && reasonId && comment.trim());
  const error = create.error instanceof ApiError ? create.error : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready) create.mutate();
  }

  return (
    <Dialog title="Request a Chat" open={open} onClose={onClose}>
      {form.isPending ? (
        <Loading />
      ) : form.error ? (
        <ErrorAlert error={form.error} />
      ) : form.data.programs.length === 0 ? (
        <Alert>You are not enrolled in a program with a care manager yet, so there is no one to chat with.</Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          {form.data.intro && <p>{form.data.intro}</p>}
          {error && !error.messageFor('programId') && !error.messageFor('reasonId') && !error.messageFor('comment') && <ErrorAlert error={error} />}
          <Field label="Program" error={error?.messageFor('programId')}>
            {(props) => (
              <select {...props} value={chosenProgram} onChange={(e) => setProgramId(e.target.value)} required>
                {!form.data.defaultProgramId && <option value="">Choose a program</option>}
                {form.data.programs.map((program) => (
                  <option key={program.id} value={program.id}>
                    {program.name} — {program.careManager.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Reason" error={error?.messageFor('reasonId')}>
            {(props) => (
              <select {...props} value={reasonId} onChange={(e) => setReasonId(e.target.value)} required>
                <option value="">Choose a reason</option>
                {form.data.reasons.map((reason) => (
                  <option key={reason.id} value={reason.id}>
                    {reason.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Comment" hint="Required: tell your care manager what you would like to talk about." error={error?.messageFor('comment')}>
            {(props) => <textarea {...props} rows={4} value={comment} onChange={(e) => setComment(e.target.value)} required maxLength={2000} />}
          </Field>
          <DialogActions>
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" disabled={!ready || create.isPending}>
              Submit Request
            </Button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

function ChangeReasonDialog({ request, onClose }: { request: ChatRequest | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useChatRequestForm(Boolean(request));
  const [reasonId, setReasonId] = useState('');
  const change = useMutation({
    mutationFn: () => api.patch<ChatRequest>(`/v1/me/chat-requests/${request!.id}`, { reasonId }),
    onSuccess: async () => {
      setReasonId('');
      await queryClient.invalidateQueries({ queryKey: OPEN_REQUESTS });
      onClose();
    },
    onError: () => queryClient.invalidateQueries({ queryKey: OPEN_REQUESTS }),
  });
  const chosen = reasonId || request?.reason.id || '';
  return (
    <Dialog title="Change the Reason" open={Boolean(request)} onClose={onClose}>
      {form.data && request && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            change.mutate();
          }}
        >
          <ErrorAlert error={change.error} />
          <Field label="Reason">
            {(props) => (
              <select {...props} value={chosen} onChange={(e) => setReasonId(e.target.value)}>
                {!form.data.reasons.some((r) => r.id === request.reason.id) && <option value={request.reason.id}>{request.reason.label}</option>}
                {form.data.reasons.map((reason) => (
                  <option key={reason.id} value={reason.id}>
                    {reason.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <DialogActions>
            <Button variant="secondary" onClick={onClose}>
              Keep it
            </Button>
            <Button type="submit" disabled={chosen === request.reason.id || change.isPending}>
              Save reason
            </Button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

/** What the member sees while a request is open: who will answer, why, and the two things they may still do. */
function Confirmation({ request, onChangeReason }: { request: ChatRequest; onChangeReason: () => void }) {
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.post(`/v1/me/chat-requests/${request.id}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: OPEN_REQUESTS }),
  });
  return (
    <Card className={styles.confirmation} aria-label={`Your chat request about ${request.program.name}`}>
      <h3>Chat requested</h3>
      <p>
        {request.assignee.name}
        {request.covering ? ' (covering for your care manager)' : ''} will reply in your chat about <strong>{request.program.name}</strong>.
      </p>
      <p>
        Reason: <strong data-testid="request-reason">{request.reason.label}</strong>
      </p>
      <ErrorAlert error={cancel.error} />
      <div className={styles.confirmationActions}>
        <Button variant="secondary" onClick={onChangeReason}>
          Change the Reason
        </Button>
        <Button variant="danger" onClick={() => window.confirm('Cancel this chat request?') && cancel.mutate()} disabled={cancel.isPending}>
          Cancel the Request
        </Button>
      </div>
    </Card>
  );
}

export default function ChatsPage() {
  const { chatId } = useParams();
  const navigate = useNavigate();
  const [requesting, setRequesting] = useState(false);
  const [changing, setChanging] = useState<ChatRequest | null>(null);
  const queryClient = useQueryClient();
  const requests = useQuery({
    queryKey: OPEN_REQUESTS,
    queryFn: () => api.get<{ items: ChatRequest[] }>('/v1/me/chat-requests?status=open'),
    refetchInterval: LIVE_POLL_MS,
  });
  const chats = useQuery({ queryKey: CHATS, queryFn: () => api.get<{ items: ChatSummary[] }>('/v1/me/chats'), refetchInterval: LIVE_POLL_MS });

  async function created(request: ChatRequest) {
    setRequesting(false);
    await queryClient.invalidateQueries({ queryKey: ['me', 'chats'] });
    await navigate(`/chats/${request.chatId}`);
  }

  return (
    <>
      <PageHeader title="Chats">
        <Button onClick={() => setRequesting(true)}>Request a Chat</Button>
      </PageHeader>
      <div className={layoutStyles.split}>
        <div className={styles.side}>
          <ErrorAlert error={requests.error} />
          {requests.data?.items.map((request) => (
            <Confirmation key={request.id} request={request} onChangeReason={() => setChanging(request)} />
          ))}
          <Card aria-labelledby="active-chats">
            <h2 id="active-chats">Active Chats</h2>
            {chats.isPending ? (
              <Loading />
            ) : chats.error ? (
              <ErrorAlert error={chats.error} />
            ) : chats.data.items.length === 0 ? (
              <Empty>No chats yet. Request one to talk with your care manager.</Empty>
            ) : (
              <nav aria-label="Active Chats">
                {chats.data.items.map((chat) => (
                  <NavLink key={chat.id} to={`/chats/${chat.id}`} className={styles.chatLink}>
                    <span className={styles.chatText}>
                      <span className={styles.chatName}>{chat.careManager.name}</span> <Badge>{chat.program.name}</Badge>
                      <span className={styles.preview}>{chat.preview}</span>
                    </span>
                    <span className={styles.meta}>{formatShort(chat.lastUpdatedAt)}</span>
                    {chat.unreadCount > 0 && <UnreadDot label={`${chat.unreadCount} unread`} />}
                  </NavLink>
                ))}
              </nav>
            )}
          </Card>
        </div>
        <div>{chatId ? <ThreadView conversationId={chatId} kind="chat" /> : <Empty>Choose a chat to read it.</Empty>}</div>
      </div>
      <RequestChatDialog open={requesting} onClose={() => setRequesting(false)} onCreated={(request) => void created(request)} />
      <ChangeReasonDialog request={changing} onClose={() => setChanging(null)} />
    </>
  );
}
