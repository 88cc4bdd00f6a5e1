import { useId, useState } from 'react';
import { controlClass } from '../../ui';
import styles from './compose.module.css';

export interface Person {
  id: string;
  name: string;
  role: 'admin' | 'staff' | 'member';
}

/**
 * Choosing recipients: type to find people, pick with Enter or a click, remove with the chip's button. Only the
 * first matches show, so an organisation of thousands stays quick.
 */
export function PeoplePicker({
  legend,
  note,
  people,
  chosen,
  onChange,
  error,
}: {
  legend: string;
  note?: string;
  people: Person[];
  chosen: string[];
  onChange: (ids: string[]) => void;
  error?: string;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const byId = new Map(people.map((person) => [person.id, person]));
  const needle = text.trim().toLowerCase();
  const matches = needle ? people.filter((p) => !chosen.includes(p.id) && p.name.toLowerCase().includes(needle)).slice(0, 8) : [];
  const add = (person: Person) => {
    onChange([...chosen, person.id]);
    setText('');
  };
  return (
    <fieldset className={styles.people} aria-describedby={[note ? `${id}-note` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}>
      <legend>{legend}</legend>
      {chosen.length > 0 && (
        <ul className={styles.chips} aria-label={`${legend} recipients`}>
          {chosen.map((personId) => (
            <li key={personId} className={styles.chip}>
              {byId.get(personId)?.name ?? 'Unknown'}
              <button
                type="button"
                aria-label={`Remove ${byId.get(personId)?.name ?? 'recipient'} from ${legend}`}
                onClick={() => onChange(chosen.filter((c) => c !== personId))}
              >
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
          if (e.key === 'Enter' && matches[0]) {
            e.preventDefault();
            add(matches[0]);
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
        <p id={`${id}-error`} role="alert" style={{ color: 'var(--danger)', margin: '0.25rem 0 0' }}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
