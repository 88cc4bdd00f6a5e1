import { useId, useRef, useState } from 'react';
import { ApiError, upload } from '../../api/client';
import { Button, Progress } from '../../ui';
import { formatSize } from '../attachments';
import styles from './compose.module.css';

interface Upload {
  key: string;
  name: string;
  size: number;
  progress: number;
  id?: string;
  error?: string;
}

/**
 * Files for a message, uploaded as soon as they are chosen (with progress), so sending only names them. A file the
 * API refuses (too large, a kind it does not take) says why and is not sent.
 */
export function AttachmentPicker({ onChange }: { onChange: (ids: string[], busy: boolean) => void }) {
  const inputId = useId();
  const [uploads, setUploads] = useState<Upload[]>([]);
  // Uploads finish in any order: each change applies to the latest list, not to the one its upload started with.
  const latest = useRef<Upload[]>([]);

  const publish = (next: Upload[]) => {
    latest.current = next;
    setUploads(next);
    onChange(
      next.flatMap((u) => (u.id ? [u.id] : [])),
      next.some((u) => !u.id && !u.error),
    );
  };

  function choose(files: FileList | null) {
    if (!files) return;
    const update = (key: string, change: Partial<Upload>) => publish(latest.current.map((u) => (u.key === key ? { ...u, ...change } : u)));
    for (const file of Array.from(files)) {
      const key = `${file.name}-${file.size}-${Math.random()}`;
      publish([...latest.current, { key, name: file.name, size: file.size, progress: 0 }]);
      const form = new FormData();
      form.append('file', file);
      upload<{ id: string }>('/v1/attachments', form, (progress) => update(key, { progress }))
        .then((answer) => update(key, { id: answer.id, progress: 1 }))
        .catch((error: unknown) => update(key, { error: error instanceof ApiError ? error.summary : 'The upload failed.' }));
    }
  }

  return (
    <div>
      <label htmlFor={inputId} className={styles.fileLabel}>
        Attachments
      </label>
      <input id={inputId} type="file" multiple onChange={(e) => (choose(e.target.files), (e.target.value = ''))} />
      {uploads.length > 0 && (
        <ul className={styles.files} aria-label="Attached files">
          {uploads.map((u) => (
            <li key={u.key} className={styles.file}>
              <span>
                {u.name} ({formatSize(u.size)})
                {u.error && (
                  <span role="alert" style={{ color: 'var(--danger)' }}>
                    {' '}
                    — {u.error}
                  </span>
                )}
              </span>
              {u.error ? <span /> : <Progress value={u.progress} label={`Uploading ${u.name}`} />}
              <Button variant="quiet" aria-label={`Remove ${u.name}`} onClick={() => publish(latest.current.filter((x) => x.key !== u.key))}>
                ✕
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
