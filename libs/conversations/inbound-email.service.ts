import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { HttpException, Injectable, Logger } from '@nestjs/common';
import { sanitizeFilename } from '../attachments/attachment-filename.js';
import { AttachmentStorage, type IncomingUpload } from '../attachments/attachment-storage.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { stripQuotedReply } from '../rich-text/quoted-reply.js';
import { MAX_RICH_TEXT_BYTES } from '../rich-text/rich-text.js';
import { User } from '../users/user.entity.js';
import { Conversation, ConversationParticipant } from './conversation.entity.js';
import { InboundEmail } from './inbound-email.entity.js';
import { ReplyAddresses } from './reply-address.js';
import { PostMessage } from './usecases/post-message/post-message.usecase.js';

/** The fields of a SendGrid Inbound Parse post that matter here (all optional: it is outside input). */
export interface InboundParsePost {
  /** The mail's raw header block; its Message-ID tells a repeated post from a new mail. */
  headers?: string;
  from?: string;
  to?: string;
  cc?: string;
  envelope?: string;
  text?: string;
  html?: string;
  SPF?: string;
  dkim?: string;
  attachments?: string;
}

/** `repeat`: the mail's Message-ID was posted before; this is what became of it then, and nothing more was done. */
export type InboundOutcome = ({ status: 'accepted'; messageId: string } | { status: 'refused'; reason: string }) & { repeat?: true };

/** A Message-ID longer than this is not used to recognise repeats (real ones are well under 100 bytes). */
const MAX_EMAIL_MESSAGE_ID_BYTES = 512;

const ADDRESS = /[^\s<>,;:"'()[\]]+@[^\s<>,;:"'()[\]]+/g;

/**
 * Turns an email reply into a conversation message — only when the reply address was signed for the very
 * participant the mail comes from. Anything else is refused and recorded, never posted. A mail is taken
 * once: its Message-ID is stored with its record (unique), in the transaction that stores its message, so a
 * repeat, even one racing the first, gets the first one's outcome and posts nothing.
 */
@Injectable()
export class InboundEmailService {
  private readonly logger = new Logger(InboundEmailService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly replyAddresses: ReplyAddresses,
    private readonly postMessage: PostMessage,
    private readonly audit: AuditService,
    private readonly attachments: AttachmentsService,
    private readonly storage: AttachmentStorage,
  ) {}

  async receive(post: InboundParsePost, files: IncomingUpload[] = []): Promise<InboundOutcome> {
    const from = senderAddress(post.from);
    const recipients = [...envelopeRecipients(post.envelope), ...(post.to?.match(ADDRESS) ?? []), ...(post.cc?.match(ADDRESS) ?? [])];
    const emailMessageId = emailMessageIdOf(post.headers);
    const record = Object.assign(new InboundEmail(), {
      fromAddress: from || '(none)',
      toAddress: recipients[0]?.toLowerCase() ?? '(none)',
      emailMessageId,
    });
    const seen = await this.repeatOf(emailMessageId);
    if (seen) return seen;

    const refuse = async (reason: string): Promise<InboundOutcome> => {
      Object.assign(record, { status: 'refused', reason });
      try {
        await this.em.insert(InboundEmail, record);
      } catch (error) {
        const raced = error instanceof UniqueConstraintViolationException ? await this.repeatOf(emailMessageId) : null;
        if (raced) return raced;
        throw error;
      }
      if (record.organizationId) {
        await this.audit.record({
          organizationId: record.organizationId,
          actorId: record.userId,
          action: 'conversation.email_reply_refused',
          subjectType: 'conversation',
          subjectId: record.conversationId!,
          details: { inboundEmailId: record.id, reason },
        });
      }
      this.logger.warn(`inbound email ${record.id} refused: ${reason}`);
      return { status: 'refused', reason };
    };

    const addressed = this.replyAddresses.find(recipients);
    if (!addressed) return refuse('not addressed to a reply address of ours');
    record.toAddress = addressed.address;
    const conversation = await this.em.findOne(Conversation, addressed.conversationId);
    if (!conversation) return refuse('the reply address names no conversation');
    Object.assign(record, { organizationId: conversation.organization.id, conversationId: conversation.id });
    if (!from) return refuse('the mail has no sender address');
    const sender = await this.em.findOne(User, { email: from, organization: conversation.organization.id });
    if (!sender || !this.replyAddresses.verify(addressed.token, conversation.id, sender.id)) {
      return refuse('the sender does not match the reply address (forged or forwarded mail)');
    }
    record.userId = sender.id;
    if (!authenticatedFor(post, from)) return refuse("neither SPF nor DKIM passes for the sender's domain (SPF and DKIM failed or vouch for another domain)");
    const participant = await this.em.findOne(ConversationParticipant, { conversation: conversation.id, user: sender.id, leftAt: null });
    if (!participant) return refuse('the sender is no longer in the conversation');
    const reply = stripQuotedReply({ text: post.text, html: post.html });
    if (!reply.text.trim()) return refuse('nothing was left once the quoted earlier mail was removed');
    if (Buffer.byteLength(reply.html, 'utf8') > MAX_RICH_TEXT_BYTES) return refuse(`the reply is larger than ${MAX_RICH_TEXT_BYTES / 1024} KB`);

    const author: AuthUser = { id: sender.id, organizationId: conversation.organization.id, role: sender.role };
    const { attachmentIds, refused } = await this.keepAttachments(author, files);
    try {
      // The record commits with the message or not at all: a repeat racing this one waits on its
      // Message-ID, then fails on it and rolls its own message back.
      const message = await this.em.transactional(async (em) => {
        const posted = await this.postMessage.execute(author, conversation.id, { source: 'email', content: { ...reply, attachmentIds } });
        Object.assign(record, { status: 'accepted', messageId: posted.id, reason: refused.length ? `attachments not kept: ${refused.join('; ')}` : null });
        await em.insert(InboundEmail, record);
        return posted;
      });
      return { status: 'accepted', messageId: message.id };
    } catch (error) {
      // Files kept for a message that was not stored go too.
      await this.discardKept(author, attachmentIds);
      const raced = error instanceof UniqueConstraintViolationException ? await this.repeatOf(emailMessageId) : null;
      if (raced) return raced;
      Object.assign(record, { messageId: null });
      // A closed conversation or a rule the API would also enforce: the sender's answer, not a server fault.
      if (error instanceof HttpException && error.getStatus() < 500) return refuse(error.message);
      throw error;
    }
  }

  /** What became of the mail with this Message-ID, if it came before. */
  private async repeatOf(emailMessageId: string | null): Promise<InboundOutcome | null> {
    if (emailMessageId === null) return null;
    const first = await this.em.findOne(InboundEmail, { emailMessageId }, { fields: ['status', 'reason', 'messageId'], disableIdentityMap: true });
    if (!first) return null;
    this.logger.log(`inbound email ${first.id} posted again (same Message-ID): answered as before`);
    return first.status === 'accepted'
      ? { status: 'accepted', messageId: first.messageId!, repeat: true }
      : { status: 'refused', reason: first.reason ?? '', repeat: true };
  }

  /** Incoming files a request left behind (refused mail, refused files) are removed, never kept. */
  async discardUnused(files: IncomingUpload[]): Promise<void> {
    await Promise.all(files.map((file) => this.storage.discard(file)));
  }

  private async discardKept(author: AuthUser, attachmentIds: string[]): Promise<void> {
    await this.attachments
      .discardUnclaimed(author, attachmentIds)
      .catch((error) => this.logger.error(`could not remove the attachments of an email not taken: ${error}`));
  }

  /**
   * Each attached file goes through the same checks as an upload; a refused one is named, not fatal. A
   * server fault keeps none of them.
   */
  private async keepAttachments(author: AuthUser, files: IncomingUpload[]): Promise<{ attachmentIds: string[]; refused: string[] }> {
    const attachmentIds: string[] = [];
    const refused: string[] = [];
    for (const file of files) {
      try {
        attachmentIds.push((await this.attachments.upload(author, file)).id);
      } catch (error) {
        if (!(error instanceof HttpException) || error.getStatus() >= 500) {
          await this.discardKept(author, attachmentIds);
          throw error;
        }
        refused.push(`${sanitizeFilename(file.originalname)}: ${error.message}`);
      }
    }
    return { attachmentIds, refused };
  }
}

/**
 * The address of a From header: the one in angle brackets when there is one, never the display name, which
 * the sender writes freely (`"alice@example.org" <mallory@evil.test>` is Mallory's mail).
 */
function senderAddress(from: string | undefined): string {
  if (typeof from !== 'string') return '';
  const bracketed = [...from.matchAll(/<([^<>]*)>/g)].map((match) => match[1].match(ADDRESS)?.[0]).filter((address) => address !== undefined);
  return (bracketed.at(-1) ?? from.match(ADDRESS)?.[0] ?? '').toLowerCase();
}

/**
 * The Message-ID of the raw header block SendGrid posts as `headers` (folded lines joined), without its angle
 * brackets; null when there is none, or none usable as a key (blank, spaced, or over 512 bytes).
 */
export function emailMessageIdOf(headers: string | undefined): string | null {
  if (typeof headers !== 'string') return null;
  const line = /^message-id[ \t]*:(.*)$/im.exec(headers.replace(/\r?\n[ \t]+/g, ' '));
  if (!line) return null;
  const id = (/<([^<>]*)>/.exec(line[1])?.[1] ?? line[1]).trim();
  return id && !/\s/.test(id) && Buffer.byteLength(id, 'utf8') <= MAX_EMAIL_MESSAGE_ID_BYTES ? id : null;
}

function envelopeRecipients(envelope: string | undefined): string[] {
  if (!envelope) return [];
  try {
    const parsed = JSON.parse(envelope) as { to?: unknown };
    return Array.isArray(parsed.to) ? parsed.to.filter((value): value is string => typeof value === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * DMARC-style alignment: SendGrid reports SPF for the envelope sender ("pass", "fail", …) and DKIM per
 * signing domain ("{@example.org : pass}"). The mail counts as the From address's only if SPF passes for
 * an envelope sender of the same domain, or a DKIM signature of that domain passes. A pass for some other
 * domain proves nothing about the From address. Without either verdict (not SendGrid) it is not judged.
 */
function authenticatedFor(post: InboundParsePost, from: string): boolean {
  if (post.SPF === undefined && post.dkim === undefined) return true;
  const fromDomain = domainOf(from);
  const aligned = (domain: string) => domain === fromDomain || domain.endsWith(`.${fromDomain}`) || fromDomain.endsWith(`.${domain}`);
  const envelopeFrom = (() => {
    try {
      const parsed = JSON.parse(post.envelope ?? '{}') as { from?: unknown };
      return typeof parsed.from === 'string' ? parsed.from : from;
    } catch {
      return from;
    }
  })();
  const spfAligned = /^\s*pass\b/i.test(post.SPF ?? '') && aligned(domainOf(envelopeFrom));
  const dkimAligned = [...(post.dkim ?? '').matchAll(/@([^\s:,{}]+)\s*:\s*pass\b/gi)].some((match) => aligned(match[1].toLowerCase()));
  return spfAligned || dkimAligned;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
