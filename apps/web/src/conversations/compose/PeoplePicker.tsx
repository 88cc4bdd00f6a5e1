import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useId, useState } from 'react';
import { controlClass } from '../../ui';
import styles from './compose.module.css';

export interface Person {
  id: string;
  name: string;
  role: 'admin' | 'staff' | 'member';
}

/**
 * Choosing recipients: type to find people (`find` asks the API or filters a known list), pick with Enter or a
 * click, remove with the chip's button. Only the first matches show, so an organisation of thousands stays quick.
 */
export function PeoplePicker({
  legend,
  note,
  source,
  find,
  chosen,
  exclude = [],
  onChange,
  error,
}: {
  legend: string;
  note?: string;
  /** Names where `find` looks, so a new source asks again. */
  source: string;
  find: (text: string) => Promise<Person[]>;
  chosen: Person[];
  exclude?: string[];
  onChange: (people: Person[]) => void;
  error?: string;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const needle = useDeferredValue(text.trim());
  const found = useQuery({ queryKey: ['people', source, needle], queryFn: () => find(needle), enabled: needle.length > 0, staleTime: 30_000 });
  const taken = new Set([...chosen.map((p) => p.id), ...exclude]);
  const matches = needle ? (found.data ?? []).filter((p) => !taken.has(p.id)).slice(0, 8) : [];
  const add = (person: Person) => {
    onChange([...chosen, person]);
    setText('');
  };
  return (
    <fieldset className={styles.people} aria-describedby={[note ? `${id}-note` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}>
      <legend>{legend}</legend>
      {chosen.length > 0 && (
        <ul className={styles.chips} aria-label={`${legend} recipients`}>
          {chosen.map((person) => (
            <li key={person.id} className={styles.chip}>
              {person.name}
              <button type="button" aria-label={`Remove ${person.name} from ${legend}`} onClick={() => onChange(chosen.filter((c) => c.id !== person.id))}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={`${id}-find`} className="visually-hidden">
        Add to {legend}
      </label>
      <input
        id={`${id}-find`}
        type="search"
        placeholder={`Add to ${legend}: type a name`}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            if (matches[0]) add(matches[0]);
          }
        }}
        aria-invalid={Boolean(error)}
        className={controlClass}
      />
      {matches.length > 0 && (
        <ul className={styles.matches} aria-label={`People matching “${text}”`}>
          {matches.map((person) => (
            <li key={person.id}>
              <button type="button" onClick={() => add(person)}>
                {person.name} <span className={styles.note}>({person.role === 'member' ? 'contact' : person.role})</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {note && (
        <p id={`${id}-note`} className={styles.note}>
          {note}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className={styles.error}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
