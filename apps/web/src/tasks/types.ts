export interface Task {
  id: string;
  kind: 'chat_request';
  status: 'open' | 'closed' | 'cancelled';
  member: { id: string; name: string };
  program: { id: string; name: string };
  reason: { id: string; label: string };
  comment: string;
  owner: { id: string; name: string };
  assignee: { id: string; name: string };
  covering: boolean;
  claimedAt: string | null;
  dueAt: string;
  breached: boolean;
  escalated: boolean;
  chatId: string;
  createdAt: string;
}
