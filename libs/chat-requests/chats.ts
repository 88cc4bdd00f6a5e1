import type { EntityManager } from '@mikro-orm/postgresql';
import Handlebars from 'handlebars';

/** Who a chat is between: one chat per member, care manager and program. */
export interface ChatParties {
  organizationId: string;
  memberId: string;
  careManagerId: string;
  programId: string;
  /** The program's name: the chat's subject. */
  subject: string;
}

/**
 * The member's chat with this care manager in this program: created with the first request that needs it,
 * reopened if it was closed, and with both of them in it again if either had left. Safe to repeat.
 */
export async function ensureChat(em: EntityManager, parties: ChatParties): Promise<string> {
  // Once more if another transaction created the chat while this statement waited on it: the statement's
  // snapshot, taken before, cannot see that row.
  const chatId = (await findOrCreateChat(em, parties)) ?? (await findOrCreateChat(em, parties));
  if (!chatId) throw new Error('the chat could not be found or created');
  await em.execute(
    `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_activity_at)
     values (?, ?, 'to', ?, now(), now()), (?, ?, 'to', ?, now(), now())
     on conflict (conversation_id, user_id) do update set left_at = null where conversation_participant.left_at is not null`,
    [chatId, parties.memberId, parties.memberId, chatId, parties.careManagerId, parties.memberId],
  );
  return chatId;
}

async function findOrCreateChat(em: EntityManager, parties: ChatParties): Promise<string | undefined> {
  const [chat] = await em.execute<Array<{ id: string }>>(
    `with created as (
       insert into conversation (id, organization_id, subject, status, kind, program_id, chat_member_id, chat_care_manager_id, created_by_id, created_at)
       values (?, ?, ?, 'open', 'chat', ?, ?, ?, ?, now())
       on conflict (chat_member_id, chat_care_manager_id, program_id) where kind = 'chat' do nothing
       returning id
     ), reopened as (
       update conversation set status = 'open', closed_at = null, closed_by_id = null
        where kind = 'chat' and chat_member_id = ? and chat_care_manager_id = ? and program_id = ? and status = 'closed'
     )
     select id from created
     union all
     select id from conversation where kind = 'chat' and chat_member_id = ? and chat_care_manager_id = ? and program_id = ?`,
    [
      crypto.randomUUID(),
      parties.organizationId,
      parties.subject,
      parties.programId,
      parties.memberId,
      parties.careManagerId,
      parties.memberId,
      ...[parties.memberId, parties.careManagerId, parties.programId],
      ...[parties.memberId, parties.careManagerId, parties.programId],
    ],
  );
  return chat?.id;
}

/**
 * A message from Tidings itself in a chat (e.g. who covers), seen by both sides and at the top of their
 * lists. `id` is chosen by the caller so a repeated call posts it once. Starts no notification workflow.
 */
export async function postSystemMessage(em: EntityManager, message: { id: string; chatId: string; authorId: string; text: string }): Promise<void> {
  const html = `<p>${Handlebars.escapeExpression(message.text)}</p>`;
  await em.execute(
    `with stored as (
       insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
       values (?, ?, ?, 'system', ?, ?, false, 'app', now())
       on conflict (id) do nothing
       returning id, conversation_id, created_at
     )
     update conversation_participant p set last_activity_at = m.created_at, last_message_id = m.id
       from stored m where p.conversation_id = m.conversation_id and p.left_at is null`,
    [message.id, message.chatId, message.authorId, html, message.text],
  );
}
