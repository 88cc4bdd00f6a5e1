export interface AttachmentView {
  id: string;
  filename: string;
  size: number;
  contentType: string;
}

export interface ConversationMessage {
  id: string;
  sequence: number;
  author: { id: string; name: string };
  system: boolean;
  bodyHtml: string;
  bodyText: string;
  source: string;
  createdAt: string;
  attachments: AttachmentView[];
  readReceipt: boolean;
  readBy?: Array<{ userId: string; name: string; readAt: string }>;
}

export interface ConversationParticipant {
  userId: string;
  name: string;
  role: 'admin' | 'staff' | 'member';
  kind: 'to' | 'cc';
  addedAt: string;
}

export interface Conversation {
  id: string;
  subject: string;
  status: 'open' | 'closed';
  clientAccount: { id: string; name: string } | null;
  createdAt: string;
  closedAt: string | null;
  lastReadSequence: number;
  participants: ConversationParticipant[];
  messages: ConversationMessage[];
  olderMessagesCursor: string | null;
}

export interface ConversationSummary {
  id: string;
  subject: string;
  preview: string;
  lastSender: { id: string; name: string } | null;
  lastUpdatedAt: string;
  clientAccount: { id: string; name: string } | null;
  unreadCount: number;
  status: 'open' | 'closed';
}
