import { useEffect, useState } from 'react';
import { Button, ErrorAlert } from '../ui';
import { pushState, turnPushOff, turnPushOn, type PushState } from './push';

const EXPLAIN: Record<PushState, string> = {
  unsupported: 'This browser cannot show notifications.',
  unavailable: 'Notifications are not set up for your organisation.',
  denied: 'Notifications are blocked for this site in your browser settings.',
  off: 'Get a notification on this device when a message arrives.',
  on: 'This device shows a notification when a message arrives.',
};

/** Opting this browser in or out of push notifications. */
export function PushToggle() {
  const [state, setState] = useState<PushState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    pushState().then(setState, () => setState('unsupported'));
  }, []);
  if (!state) return null;
  const change = async (to: () => Promise<PushState>) => {
    setBusy(true);
    setError(null);
    try {
      setState(await to());
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <p>{EXPLAIN[state]}</p>
      <ErrorAlert error={error} />
      {state === 'off' && (
        <Button variant="secondary" onClick={() => void change(turnPushOn)} disabled={busy}>
          Turn on notifications
        </Button>
      )}
      {state === 'on' && (
        <Button variant="secondary" onClick={() => void change(turnPushOff)} disabled={busy}>
          Turn off notifications
        </Button>
      )}
    </div>
  );
}
