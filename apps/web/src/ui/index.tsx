import DOMPurify from 'dompurify';
import { useEffect, useId, useRef, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import styles from './ui.module.css';

type Variant = 'primary' | 'secondary' | 'danger' | 'quiet';

export function Button({ variant = 'primary', className, ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  const look = variant === 'primary' ? '' : styles[variant];
  return <button type="button" {...props} className={[styles.button, look, className].filter(Boolean).join(' ')} />;
}

export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
  className: string;
}

/** A labelled control with its hint and its error (from the API's `details`), tied together for screen readers. */
export function Field({ label, hint, error, children }: { label: ReactNode; hint?: ReactNode; error?: string; children: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={styles.field}>
      <label className={styles.label} htmlFor={id}>
        {label}
      </label>
      {hint && (
        <span id={`${id}-hint`} className={styles.hint}>
          {hint}
        </span>
      )}
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy, className: styles.control })}
      {error && (
        <span id={`${id}-error`} className={styles.fieldError}>
          {error}
        </span>
      )}
    </div>
  );
}

export function Alert({ tone = 'info', children }: { tone?: 'info' | 'error' | 'success'; children: ReactNode }) {
  const look = tone === 'error' ? styles.alertError : tone === 'success' ? styles.alertSuccess : styles.alertInfo;
  return (
    <div className={`${styles.alert} ${look}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** What went wrong, as the API said it (each named field's reason), or nothing. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? error.summary : 'Something went wrong. Check the connection and try again.';
  return <Alert tone="error">{text}</Alert>;
}

export function Badge({ tone = 'info', children }: { tone?: 'info' | 'danger' | 'warn' | 'ok'; children: ReactNode }) {
  const look = tone === 'danger' ? styles.badgeDanger : tone === 'warn' ? styles.badgeWarn : tone === 'ok' ? styles.badgeOk : '';
  return <span className={`${styles.badge} ${look}`}>{children}</span>;
}

export function Card({ children, className, ...rest }: { children: ReactNode; className?: string } & React.HTMLAttributes<HTMLElement>) {
  return (
    <section {...rest} className={[styles.card, className].filter(Boolean).join(' ')}>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className={styles.empty}>{children}</p>;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className={styles.empty} role="status">
      {label}
    </p>
  );
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className={styles.pageHeader}>
      <h1>{title}</h1>
      {children && <div>{children}</div>}
    </header>
  );
}

export function UnreadDot({ label }: { label: string }) {
  return <span className={styles.dot} role="img" aria-label={label} />;
}

/**
 * A modal dialog on the platform's own <dialog>: focus moves in and is kept there, Escape closes it, and focus
 * returns to what opened it.
 */
export function Dialog({ title, open, onClose, children }: { title: ReactNode; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className={styles.dialog} aria-labelledby={titleId} onClose={onClose} onCancel={(event) => (event.preventDefault(), onClose())}>
      {open && (
        <>
          <div className={styles.dialogHeader}>
            <h2 id={titleId}>{title}</h2>
            <Button variant="quiet" aria-label="Close" onClick={onClose}>
              ✕
            </Button>
          </div>
          <div className={styles.dialogBody}>{children}</div>
        </>
      )}
    </dialog>
  );
}

export function DialogActions({ children }: { children: ReactNode }) {
  return <div className={styles.dialogActions}>{children}</div>;
}

export function Progress({ value, label }: { value: number; label: string }) {
  const percent = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div className={styles.progress} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <div className={styles.progressBar} style={{ width: `${percent}%` }} />
    </div>
  );
}

export const tabStyles = { tabs: styles.tabs, tab: styles.tab };

/** The shared layouts: a list beside its detail, and data tables. */
export const layoutStyles = { split: styles.split, table: styles.table };

/** The next page of a paged list, on request (lists load 50 at a time, so 10,000 rows cost what one page does). */
export function ShowMore({ list }: { list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> } }) {
  if (!list.hasNextPage) return null;
  return (
    <div className={styles.more}>
      <Button variant="secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
        {list.isFetchingNextPage ? 'Loading…' : 'Show more'}
      </Button>
    </div>
  );
}

/** A row of checkboxes under a legend: choosing any number of things (channels, days, groups). */
export function CheckboxGroup<T extends string>({
  legend,
  options,
  chosen,
  onChange,
  error,
}: {
  legend: string;
  options: ReadonlyArray<{ value: T; label: string }>;
  chosen: T[];
  onChange: (values: T[]) => void;
  error?: string;
}) {
  return (
    <fieldset className={styles.checks}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option.value} className={styles.check}>
          <input
            type="checkbox"
            checked={chosen.includes(option.value)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, option.value] : chosen.filter((value) => value !== option.value))}
          />
          {option.label}
        </label>
      ))}
      {error && (
        <p role="alert" className={styles.fieldError}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** The look of a form control, for controls laid out without a Field. */
export const controlClass = styles.control;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Links in messages leave the portal in a new tab that cannot reach back into it.
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

/**
 * Message HTML as the API stored it, sanitized once more here: the server's sanitizer is the first wall, and this
 * one stands even if a stored body predates a sanitizer fix. The only way the portal renders HTML.
 */
export function SafeHtml({ html, className }: { html: string; className?: string }) {
  const clean = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'svg', 'math'],
    FORBID_ATTR: ['style'],
  });
  return <div className={['rich-text', className].filter(Boolean).join(' ')} dangerouslySetInnerHTML={{ __html: clean }} />;
}
