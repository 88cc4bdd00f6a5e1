import { useEffect, useRef, useSyncExternalStore } from 'react';
import { Dialog } from '../ui';
import styles from './shortcuts.module.css';

export interface Shortcut {
  /** `KeyboardEvent.key`, lower case for letters; for a two-key sequence, the first key in `after` ("g" then "i"). */
  key: string;
  ctrl?: boolean;
  after?: string;
  description: string;
  group: string;
  /** Also while typing in a field (Ctrl+Enter to send, Ctrl+/ for this list). Plain keys never fire there. */
  inFields?: boolean;
}

interface Registered {
  shortcut: Shortcut;
  handler: () => void;
}

const registered = new Set<Registered>();
const listeners = new Set<() => void>();
let snapshot: Shortcut[] = [];
let pendingPrefix: { key: string; at: number } | null = null;

function publish() {
  const seen = new Map<string, Shortcut>();
  for (const { shortcut } of registered) seen.set(label(shortcut), shortcut);
  snapshot = [...seen.values()];
  listeners.forEach((listener) => listener());
}

export function label(shortcut: Shortcut): string {
  const key = shortcut.key === 'Enter' ? 'Enter' : shortcut.key.length === 1 ? shortcut.key.toUpperCase() : shortcut.key;
  return [shortcut.after?.toUpperCase(), shortcut.ctrl ? `Ctrl+${key}` : key].filter(Boolean).join(' then ');
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function onKeyDown(event: KeyboardEvent) {
  if (event.altKey || event.isComposing) return;
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const editable = isEditable(event.target);
  // The newest registration wins: a dialog's Ctrl+Enter over the page's.
  const candidates = [...registered].reverse();
  const prefix = pendingPrefix && Date.now() - pendingPrefix.at < 1500 ? pendingPrefix.key : null;
  pendingPrefix = null;
  for (const { shortcut, handler } of candidates) {
    if (shortcut.key !== key || Boolean(shortcut.ctrl) !== ctrl) continue;
    if (editable && !shortcut.inFields) continue;
    if (shortcut.after && shortcut.after !== prefix) continue;
    event.preventDefault();
    handler();
    return;
  }
  if (!ctrl && !editable && [...registered].some((r) => r.shortcut.after === key)) pendingPrefix = { key, at: Date.now() };
}

// Capture phase: before the editor's own keymap (ProseMirror takes Ctrl+Enter for a line break otherwise).
if (typeof window !== 'undefined') window.addEventListener('keydown', onKeyDown, true);

/** A shortcut while the calling component is mounted; it appears in the Ctrl+/ reference meanwhile. */
export function useShortcut(shortcut: Shortcut, handler: () => void, enabled = true): void {
  const latest = useRef(handler);
  latest.current = handler;
  const { key, ctrl, after, description, group, inFields } = shortcut;
  useEffect(() => {
    if (!enabled) return;
    const entry: Registered = { shortcut: { key, ctrl, after, description, group, inFields }, handler: () => latest.current() };
    registered.add(entry);
    publish();
    return () => {
      registered.delete(entry);
      publish();
    };
  }, [key, ctrl, after, description, group, inFields, enabled]);
}

/** Every shortcut of the messaging pages, listed in the reference even where they are not active right now. */
export const MESSAGING_SHORTCUTS: Shortcut[] = [
  { key: 'c', description: 'New message', group: 'Messaging' },
  { key: 'r', description: 'Reply', group: 'Messaging' },
  { key: 'Enter', ctrl: true, description: 'Send', group: 'Messaging' },
  { key: 'j', description: 'Next conversation', group: 'Messaging' },
  { key: 'k', description: 'Previous conversation', group: 'Messaging' },
  { key: 'e', description: 'Close the conversation (archive)', group: 'Messaging' },
  { key: '/', description: 'Search', group: 'Messaging' },
  { key: 'i', after: 'g', description: 'Go to the inbox', group: 'Messaging' },
  { key: '/', ctrl: true, description: 'Show the keyboard shortcuts', group: 'Everywhere' },
  { key: 'Escape', description: 'Close a dialog', group: 'Everywhere' },
];

function useRegistered(): Shortcut[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}

export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const active = useRegistered();
  const all = new Map<string, Shortcut>();
  for (const shortcut of [...MESSAGING_SHORTCUTS, ...active]) all.set(`${shortcut.group}|${label(shortcut)}`, shortcut);
  const groups = new Map<string, Shortcut[]>();
  for (const shortcut of all.values()) groups.set(shortcut.group, [...(groups.get(shortcut.group) ?? []), shortcut]);
  return (
    <Dialog title="Keyboard shortcuts" open={open} onClose={onClose}>
      {[...groups.entries()].map(([group, shortcuts]) => (
        <section key={group} className={styles.group}>
          <h3>{group}</h3>
          <dl className={styles.list}>
            {shortcuts.map((shortcut) => (
              <div key={label(shortcut)} className={styles.row}>
                <dt>
                  <kbd>{label(shortcut)}</kbd>
                </dt>
                <dd>{shortcut.description}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </Dialog>
  );
}
