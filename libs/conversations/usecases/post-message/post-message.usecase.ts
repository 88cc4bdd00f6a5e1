import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { ConversationAccess } from '../../conversation-access.js';
import { ConversationMessages, type ConversationMessageView, type NewMessage } from '../../conversation-messages.js';
import { sanitizedBody } from '../../../rich-text/sanitized-body.js';
import { PostMessageDto } from '../../conversation.dto.js';
import type { ConversationMessage } from '../../conversation.entity.js';

/** A reply through the API; its body is sanitized here. */
export interface AppReply {
  source: 'app';
  dto: PostMessageDto;
}

/** A reply that came in by email, already stripped of the quoted earlier mail, from its verified sender. */
export interface EmailReply {
  source: 'email';
  content: { html: string; text: string; attachmentIds: string[] };
}

/**
 * A participant's reply, through the API or by email: the same rules apply to both. A closed conversation
 * takes no reply unless the organisation lets contacts reopen and a contact is replying (then it reopens).
 */
@Injectable()
export class PostMessage {
  constructor(
    private readonly em: EntityManager,
    private readonly access: ConversationAccess,
    private readonly messages: ConversationMessages,
  ) {}

  /** Through the API: the message as its author sees it. */
  execute(author: AuthUser, conversationId: string, reply: AppReply): Promise<ConversationMessageView>;
  /** By email, as its verified sender: the stored message. */
  execute(author: AuthUser, conversationId: string, reply: EmailReply): Promise<ConversationMessage>;
  async execute(author: AuthUser, conversationId: string, reply: AppReply | EmailReply): Promise<ConversationMessageView | ConversationMessage> {
    // Membership first: a post to a conversation its author is not in is refused before its body is sanitized,
    // so guessing conversation ids costs an indexed lookup, not the sanitizer's work on a body of up to 256 KB.
    const { conversation } = await this.access.membership(author, conversationId);
    const content: NewMessage = reply.source === 'app' ? appContent(reply.dto) : { ...reply.content, readReceipt: false, source: 'email' };
    // The common case, a reply to an open conversation without attachments, is one statement after that lookup;
    // a closed conversation (reopened or refused) and attachments (claimed with the message) take a transaction.
    if (content.attachmentIds.length === 0 && conversation.status === 'open') {
      const appended = await this.messages.append(this.em, author, conversationId, content);
      if (appended.outcome === 'appended') return reply.source === 'app' ? this.messages.justPosted(appended.appended) : appended.appended.message;
      if (appended.outcome === 'not_a_participant') throw new NotFoundException('conversation not found');
      // Closed since we looked: reopened or refused below, as if it had been closed all along.
      await this.em.refresh(conversation);
    }
    const posted = await this.em.transactional(async (em) => {
      await this.access.reopenForReply(em, author, conversation, reply.source === 'app' ? 'reply' : 'email reply');
      const appended = await this.messages.append(em, author, conversation.id, content);
      if (appended.outcome === 'not_a_participant') throw new NotFoundException('conversation not found');
      // Closed again since we looked: refuse as if it had been closed all along.
      if (appended.outcome === 'not_open') throw new ConflictException('the conversation was closed while the reply was being posted; reopen it and try again');
      return appended.appended;
    });
    return reply.source === 'app' ? this.messages.justPosted(posted) : posted.message;
  }
}

function appContent(dto: PostMessageDto): NewMessage {
  if (dto.body === undefined) throw fieldError('body', 'is required', 422);
  return { ...sanitizedBody(dto.body), attachmentIds: dto.attachmentIds ?? [], readReceipt: dto.readReceipt ?? false, source: 'app' };
}
