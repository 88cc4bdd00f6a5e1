import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useSession } from '../auth/useSession';
import { useShortcut } from '../keyboard/shortcuts';
import { Button, ErrorAlert, Loading } from '../ui';
import { AttachmentPicker } from './compose/AttachmentPicker';
import { CannedResponses } from './compose/ComposeDialog';
import type { RichTextHandle } from './compose/RichTextEditor';
import { textToHtml } from './html';
import styles from './thread.module.css';

const RichTextEditor = lazy(() => import('./compose/RichTextEditor'));

/**
 * Replying. In a conversation: the rich-text editor and attachments, and for staff canned responses and a read
 * receipt. In a chat: a plain box, as chats are. `r` focuses it; Ctrl+Enter sends.
 */
export function ReplyBox({ conversationId, rich, onSent }: { conversationId: string; rich: boolean; onSent: () => Promise<unknown> }) {
  const user = useSession();
  const staff = user?.role !== 'member';
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [html, setHtml] = useState({ value: '', empty: true });
  const [attachments, setAttachments] = useState({ ids: [] as string[], busy: false });
  const [readReceipt, setReadReceipt] = useState(false);
  const [pickerKey, setPickerKey] = useState(0);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const editor = useRef<RichTextHandle | null>(null);
  const empty = rich ? html.empty : !text.trim();

  const post = useMutation({
    mutationFn: () =>
      api.post(`/v1/conversations/${conversationId}/messages`, {
        body: rich ? html.value : textToHtml(text),
        ...(attachments.ids.length ? { attachmentIds: attachments.ids } : {}),
        ...(readReceipt ? { readReceipt } : {}),
      }),
    onSuccess: async () => {
      setText('');
      editor.current?.clear();
      setHtml({ value: '', empty: true });
      setAttachments({ ids: [], busy: false });
      setPickerKey((key) => key + 1);
      setReadReceipt(false);
      await onSent();
      await queryClient.invalidateQueries({ queryKey: ['conversations'] });
    },
  });
  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (!empty && !attachments.busy && !post.isPending) post.mutate();
  };
  useShortcut({ key: 'r', description: 'Reply', group: 'Messaging' }, () => (rich ? editor.current?.focus() : textRef.current?.focus()));
  useShortcut({ key: 'Enter', ctrl: true, inFields: true, description: 'Send', group: 'Messaging' }, () => send(), !empty);

  return (
    <form className={styles.reply} onSubmit={send}>
      {rich ? (
        <Suspense fallback={<Loading label="Loading the editor…" />}>
          <RichTextEditor
            label="Your reply"
            onChange={(value, isEmpty) => setHtml({ value, empty: isEmpty })}
            onReady={(handle) => (editor.current = handle)}
          />
        </Suspense>
      ) : (
        <>
          <label htmlFor={`reply-${conversationId}`} className="visually-hidden">
            Your reply
          </label>
          <textarea
            id={`reply-${conversationId}`}
            ref={textRef}
            className={styles.replyBox}
            placeholder="Write a reply…"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </>
      )}
      {rich && staff && <CannedResponses onInsert={(value) => editor.current?.insertHtml(value)} />}
      {rich && <AttachmentPicker key={pickerKey} onChange={(ids, busy) => setAttachments({ ids, busy })} />}
      <ErrorAlert error={post.error} />
      <div className={styles.replyBar}>
        <span className={styles.hint}>
          Ctrl+Enter sends
          {rich && staff && (
            <label className={styles.receipt}>
              {' · '}
              <input type="checkbox" checked={readReceipt} onChange={(e) => setReadReceipt(e.target.checked)} /> Ask for a read receipt
            </label>
          )}
        </span>
        <Button type="submit" disabled={empty || attachments.busy || post.isPending}>
          {post.isPending ? 'Sending…' : 'Send'}
        </Button>
      </div>
    </form>
  );
}
