import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, ApiError, query } from '../api/client';
import { LIVE_POLL_MS } from '../api/live';
import { useSession } from '../auth/useSession';
import { ThreadView } from '../conversations/ThreadView';
import { Alert, Badge, Button, Dialog, DialogActions, Empty, ErrorAlert, Field, layoutStyles, Loading, PageHeader, ShowMore } from '../ui';
import { formatCountdown, formatDateTime } from '../ui/time';
import { StaffPicker } from './StaffPicker';
import styles from './tasks.module.css';
import type { Task } from './types';

const QUEUE = ['tasks'];

function useSecondTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

/** An ended task's 409 says what became of it; the person reads that, not "Conflict". */
function endedMessage(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const current = (error.body as { current?: { status?: string } } | undefined)?.current;
  return current?.status ? `This request is already ${current.status}.` : error.message;
}

function CloseDialog({ task, onClose }: { task: Task | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState('');
  const close = useMutation({
    mutationFn: () => api.post(`/v1/tasks/${task!.id}/close`, { outcome: outcome.trim() }),
    onSuccess: () => {
      setOutcome('');
      onClose();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: QUEUE }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (outcome.trim()) close.mutate();
  };
  const ended = endedMessage(close.error);
  return (
    <Dialog title={`Close ${task?.member.name ?? ''}’s request`} open={Boolean(task)} onClose={onClose}>
      <form onSubmit={submit}>
        {ended ? <Alert tone="info">{ended}</Alert> : <ErrorAlert error={close.error} />}
        <Field
          label="Outcome"
          hint="What was done; the member's confirmation goes away and the chat stays."
          error={close.error instanceof ApiError ? close.error.messageFor('outcome') : undefined}
        >
          {(props) => <textarea {...props} rows={3} value={outcome} onChange={(e) => setOutcome(e.target.value)} />}
        </Field>
        <DialogActions>
          <Button variant="secondary" onClick={onClose}>
            Keep it open
          </Button>
          <Button type="submit" disabled={!outcome.trim() || close.isPending}>
            Close the task
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function ReassignDialog({ task, onClose }: { task: Task | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [assigneeId, setAssigneeId] = useState('');
  const reassign = useMutation({
    mutationFn: () => api.post(`/v1/tasks/${task!.id}/reassign`, { assigneeId }),
    onSuccess: () => {
      setAssigneeId('');
      onClose();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: QUEUE }),
  });
  const ended = endedMessage(reassign.error);
  return (
    <Dialog title={`Reassign ${task?.member.name ?? ''}’s request`} open={Boolean(task)} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (assigneeId) reassign.mutate();
        }}
      >
        {ended ? <Alert tone="info">{ended}</Alert> : <ErrorAlert error={reassign.error} />}
        <StaffPicker label="Give it to" value={assigneeId} onChange={setAssigneeId} exclude={task ? [task.assignee.id] : []} />
        <DialogActions>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={!assigneeId || reassign.isPending}>
            Reassign
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function TaskItem({
  task,
  now,
  selected,
  onSelect,
  onReassign,
  onClose,
}: {
  task: Task;
  now: number;
  selected: boolean;
  onSelect: () => void;
  onReassign: () => void;
  onClose: () => void;
}) {
  const user = useSession();
  const queryClient = useQueryClient();
  const claim = useMutation({ mutationFn: () => api.post(`/v1/tasks/${task.id}/claim`), onSettled: () => queryClient.invalidateQueries({ queryKey: QUEUE }) });
  const left = new Date(task.dueAt).getTime() - now;
  const open = task.status === 'open';
  return (
    <li className={`${styles.task} ${selected ? styles.selected : ''}`} aria-label={`${task.member.name}: ${task.reason.label}`}>
      <div className={styles.taskHead}>
        <button type="button" className={styles.open} onClick={onSelect} aria-current={selected ? 'true' : undefined}>
          {task.member.name} — {task.reason.label}
        </button>
        {open ? (
          <span className={`${styles.countdown} ${left < 0 ? styles.overdue : ''}`} role="timer" aria-label={`Response ${formatCountdown(left)}`}>
            {formatCountdown(left)}
          </span>
        ) : (
          <Badge tone={task.status === 'closed' ? 'ok' : 'warn'}>{task.status}</Badge>
        )}
      </div>
      <div className={styles.meta}>
        {task.program.name} · due {formatDateTime(task.dueAt)} · assigned to {task.assignee.id === user?.id ? 'you' : task.assignee.name}
        {task.covering && ` (covering for ${task.owner.name})`}
      </div>
      <div className={styles.marks}>
        {task.breached && <Badge tone="danger">Breached</Badge>}
        {task.escalated && <Badge tone="danger">Escalated</Badge>}
        {task.claimedAt ? <Badge tone="ok">Claimed</Badge> : open && <Badge>Unclaimed</Badge>}
      </div>
      <p className={styles.meta}>“{task.comment}”</p>
      {endedMessage(claim.error) ? <Alert tone="info">{endedMessage(claim.error)}</Alert> : <ErrorAlert error={claim.error} />}
      {open && (
        <div className={styles.buttons}>
          {!task.claimedAt && (
            <Button variant="secondary" onClick={() => claim.mutate()} disabled={claim.isPending}>
              Claim
            </Button>
          )}
          <Button variant="secondary" onClick={onReassign}>
            Reassign
          </Button>
          <Button onClick={onClose}>Close</Button>
        </div>
      )}
    </li>
  );
}

/** The care manager's queue: open tasks by due time with live countdowns, the chat of the chosen one beside it. */
export default function TaskQueuePage() {
  const [search, setSearch] = useSearchParams();
  const status = search.get('status') ?? 'open';
  const breachedOnly = search.get('breached') === 'true';
  const selectedId = search.get('task');
  const [closing, setClosing] = useState<Task | null>(null);
  const [reassigning, setReassigning] = useState<Task | null>(null);
  const now = useSecondTick();
  const tasks = useInfiniteQuery({
    queryKey: [...QUEUE, status, breachedOnly],
    queryFn: ({ pageParam }) =>
      api.get<{ items: Task[]; nextCursor: string | null }>(
        `/v1/tasks${query({ assignee: 'me', status, breached: breachedOnly ? 'true' : undefined, limit: 50, cursor: pageParam })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: LIVE_POLL_MS,
  });
  const items = tasks.data?.pages.flatMap((page) => page.items) ?? [];
  const selected = items.find((task) => task.id === selectedId) ?? null;
  const set = (change: Record<string, string | undefined>) =>
    setSearch(
      query({ status: status === 'open' ? undefined : status, breached: breachedOnly ? 'true' : undefined, task: selectedId ?? undefined, ...change }).slice(1),
    );

  return (
    <>
      <PageHeader title="Tasks" />
      <div className={styles.filters}>
        <Field label="Status">
          {(props) => (
            <select {...props} value={status} onChange={(e) => set({ status: e.target.value === 'open' ? undefined : e.target.value, task: undefined })}>
              <option value="open">Open</option>
              <option value="closed">Closed</option>
              <option value="cancelled">Cancelled</option>
            </select>
          )}
        </Field>
        <label>
          <input type="checkbox" checked={breachedOnly} onChange={(e) => set({ breached: e.target.checked ? 'true' : undefined })} /> Breached only
        </label>
      </div>
      <div className={layoutStyles.split}>
        <div>
          <ErrorAlert error={tasks.error} />
          {tasks.isPending ? (
            <Loading />
          ) : items.length === 0 ? (
            <Empty>{status === 'open' ? 'Nothing waiting for you.' : `No ${status} tasks.`}</Empty>
          ) : (
            <ol className={styles.queue} aria-label="Task queue">
              {items.map((task) => (
                <TaskItem
                  key={task.id}
                  task={task}
                  now={now}
                  selected={task.id === selectedId}
                  onSelect={() => set({ task: task.id })}
                  onReassign={() => setReassigning(task)}
                  onClose={() => setClosing(task)}
                />
              ))}
            </ol>
          )}
          <ShowMore list={tasks} />
        </div>
        <div>{selected ? <ThreadView conversationId={selected.chatId} kind="chat" /> : <Empty>Choose a task to see its chat.</Empty>}</div>
      </div>
      <CloseDialog task={closing} onClose={() => setClosing(null)} />
      <ReassignDialog task={reassigning} onClose={() => setReassigning(null)} />
    </>
  );
}
