import type { Role } from '../users/user.entity.js';
import type { AuthorKind, RecipientKind } from './conversation.entity.js';

/**
 * The BCC rule, in one place. Staff see everyone and everything. A contact (member) sees staff, themself,
 * and other contacts only when both are in To; so contacts in CC are blind copies. Messages follow their
 * authors: a contact sees a message when they could see its author as that author was when writing.
 *
 * `canSee*` decide in memory; `visibleMessageSql` says the same in SQL for the inbox and unread counts.
 * Change them together.
 */
export interface Viewer {
  userId: string;
  role: Role;
  kind: RecipientKind;
}

export const isStaff = (role: Role) => role !== 'member';

export function authorKindOf(role: Role, kind: RecipientKind): AuthorKind {
  return isStaff(role) ? 'staff' : kind;
}

export function canSeeParticipant(viewer: Viewer, participant: { userId: string; role: Role; kind: RecipientKind }): boolean {
  if (isStaff(viewer.role) || isStaff(participant.role) || participant.userId === viewer.userId) return true;
  return viewer.kind === 'to' && participant.kind === 'to';
}

export function canSeeMessage(viewer: Viewer, message: { authorId: string; authorKind: AuthorKind }): boolean {
  if (isStaff(viewer.role) || message.authorKind === 'staff' || message.authorKind === 'system' || message.authorId === viewer.userId) return true;
  return viewer.kind === 'to' && message.authorKind === 'to';
}

/** SQL for canSeeMessage: `m` a conversation_message, `p` the viewer's conversation_participant, `u` the viewer's app_user. */
export const visibleMessageSql = (m: string, p: string, u: string) =>
  `(${u}.role <> 'member' or ${m}.author_kind in ('staff', 'system') or ${m}.author_id = ${p}.user_id or (${m}.author_kind = 'to' and ${p}.kind = 'to'))`;
