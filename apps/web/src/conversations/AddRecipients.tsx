import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/client';
import { Button, Dialog, DialogActions, ErrorAlert } from '../ui';
import { BCC_NOTE } from './compose/ComposeDialog';
import { PeoplePicker, type Person } from './compose/PeoplePicker';
import type { Conversation } from './types';

/** Adding people to a conversation (they see its history); about a client account, only people with access to it. */
export function AddRecipients({
  conversation,
  open,
  onClose,
  onAdded,
}: {
  conversation: Conversation;
  open: boolean;
  onClose: () => void;
  onAdded: () => Promise<unknown>;
}) {
  const [to, setTo] = useState<Person[]>([]);
  const [cc, setCc] = useState<Person[]>([]);
  const present = conversation.participants.map((p) => p.userId);
  const account = conversation.clientAccount?.id;
  const find = async (text: string): Promise<Person[]> => {
    if (account) {
      const needle = text.toLowerCase();
      return (await api.get<{ items: Person[] }>(`/v1/client-accounts/${account}/users`)).items.filter((p) => p.name.toLowerCase().includes(needle));
    }
    return (await api.get<{ items: Person[] }>(`/v1/users${query({ q: text, status: 'active', limit: 20 })}`)).items;
  };
  const add = useMutation({
    mutationFn: () => api.post(`/v1/conversations/${conversation.id}/participants`, { to: to.map((p) => p.id), cc: cc.map((p) => p.id) }),
    onSuccess: async () => {
      setTo([]);
      setCc([]);
      await onAdded();
      onClose();
    },
  });
  return (
    <Dialog title="Add recipients" open={open} onClose={onClose}>
      <ErrorAlert error={add.error} />
      <PeoplePicker legend="To" source={account ?? 'organization'} find={find} chosen={to} exclude={[...present, ...cc.map((p) => p.id)]} onChange={setTo} />
      <PeoplePicker
        legend="CC"
        note={BCC_NOTE}
        source={account ?? 'organization'}
        find={find}
        chosen={cc}
        exclude={[...present, ...to.map((p) => p.id)]}
        onChange={setCc}
      />
      <p>They will see the whole conversation so far.</p>
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button onClick={() => add.mutate()} disabled={to.length + cc.length === 0 || add.isPending}>
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}
