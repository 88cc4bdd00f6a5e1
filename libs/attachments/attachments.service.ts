import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { ATTACHMENT_ACCESS_POLICY, AttachmentAccessPolicy } from './attachment-access-policy.js';
import { sanitizeFilename } from './attachment-filename.js';
import { AttachmentStorage, IncomingUpload } from './attachment-storage.js';
import { UPLOAD_FIELD } from './attachment-upload.interceptor.js';
import { Attachment } from './attachment.entity.js';
import { classifyUpload } from './content-sniffer.js';

export interface AttachmentView {
  id: string;
  filename: string;
  size: number;
  contentType: string;
  sha256: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AttachmentsService {
  constructor(
    private readonly em: EntityManager,
    private readonly storage: AttachmentStorage,
    private readonly audit: AuditService,
    @Inject(ATTACHMENT_ACCESS_POLICY) private readonly accessPolicy: AttachmentAccessPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Keeps an upload the interceptor stored, or removes it: on any failure no file and no row remain. */
  async upload(caller: AuthUser, upload: IncomingUpload | undefined): Promise<AttachmentView> {
    if (!upload) throw fieldError(UPLOAD_FIELD, `is required: send the file as multipart/form-data in the field "${UPLOAD_FIELD}"`);
    try {
      if (upload.size === 0) throw fieldError(UPLOAD_FIELD, 'must not be empty');
      const filename = sanitizeFilename(upload.originalname);
      const verdict = classifyUpload(filename, upload.inspection);
      if ('refusal' in verdict) throw fieldError(UPLOAD_FIELD, verdict.refusal, 415);

      const attachment = Object.assign(new Attachment(), {
        organization: this.em.getReference(Organization, caller.organizationId),
        uploadedBy: this.em.getReference(User, caller.id),
        filename,
        contentType: verdict.contentType,
        size: upload.size,
        sha256: upload.sha256,
      });
      attachment.storedAt = attachment.id;
      let kept = false;
      try {
        await this.em.transactional(async (em) => {
          await this.refuseOverQuota(em, caller.organizationId, upload.size);
          em.persist(attachment);
          await em.flush();
          await this.audit.recordBy(caller, 'attachment.uploaded', 'attachment', attachment.id);
          // Last inside the transaction: a failed rename rolls the row back.
          await this.storage.keep(upload, attachment.storedAt);
          kept = true;
        });
      } catch (error) {
        if (kept) await this.storage.remove(attachment.storedAt);
        throw error;
      }
      return toAttachmentView(attachment);
    } finally {
      await this.storage.discard(upload);
    }
  }

  /**
   * 413 when the upload would take the organisation past its storage quota. The organisation's uploads take turns
   * here (a transaction-scoped advisory lock), so parallel uploads cannot together overshoot it.
   */
  private async refuseOverQuota(em: EntityManager, organizationId: string, size: number): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('attachment-quota:' || ?, 0))`, [organizationId]);
    const [{ used }] = await em.execute<Array<{ used: string }>>('select coalesce(sum(size), 0) as used from attachment where organization_id = ?', [
      organizationId,
    ]);
    const quota = this.config.rateLimits.organizationStorageBytes;
    if (Number(used) + size > quota) {
      throw fieldError(
        UPLOAD_FIELD,
        `would take your organisation's storage past its quota of ${quota} bytes (${used} in use); remove old attachments or ask for more`,
        413,
      );
    }
  }

  /**
   * Removes the caller's own uploads that no message carries, rows and files: what an email reply kept for
   * a message that was then not stored. Uploads a message claimed meanwhile stay.
   */
  async discardUnclaimed(caller: AuthUser, attachmentIds: string[]): Promise<void> {
    const ids = [...new Set(attachmentIds)].filter((id) => UUID.test(id));
    if (ids.length === 0) return;
    const removed = await this.em.execute<Array<{ id: string; stored_at: string }>>(
      `delete from attachment where id in (${ids.map(() => '?').join(', ')}) and organization_id = ? and uploaded_by_id = ? and conversation_message_id is null
       returning id, stored_at`,
      [...ids, caller.organizationId, caller.id],
    );
    for (const { id, stored_at } of removed) {
      await this.storage.remove(stored_at);
      await this.audit.recordBy(caller, 'attachment.discarded', 'attachment', id);
    }
  }

  /** The file to send, once the access policy allows it; anything the caller may not see is a 404. */
  async openForDownload(caller: AuthUser, id: string): Promise<{ attachment: Attachment; stream: Readable; size: number }> {
    const attachment = await this.em.findOne(Attachment, { id, organization: caller.organizationId });
    if (!attachment || !(await this.accessPolicy.canDownload(caller, attachment))) throw new NotFoundException('attachment not found');
    const file = await this.storage.open(attachment.storedAt);
    try {
      await this.audit.recordBy(caller, 'attachment.downloaded', 'attachment', attachment.id);
    } catch (error) {
      file.stream.destroy();
      throw error;
    }
    return { attachment, ...file };
  }

  /**
   * Attaches the caller's own unattached uploads to a conversation message, all or none. Run it in the
   * transaction that stores the message (pass its `em`) so both commit together.
   */
  async claimForMessage(
    organizationId: string,
    uploaderId: string,
    attachmentIds: string[],
    conversationMessageId: string,
    em?: EntityManager,
  ): Promise<Attachment[]> {
    const ids = [...new Set(attachmentIds)];
    if (ids.length === 0) return [];
    const unusable = () => fieldError('attachmentIds', 'must be your own uploads, not yet attached to a message', 422);
    if (!ids.every((id) => UUID.test(id))) throw unusable();
    return (em ?? this.em).transactional(async (tx) => {
      // One conditional update decides races: a second claim of the same upload matches no row.
      const claimed = await tx.nativeUpdate(
        Attachment,
        { id: { $in: ids }, organization: organizationId, uploadedBy: uploaderId, conversationMessageId: null },
        { conversationMessageId },
      );
      if (claimed !== ids.length) throw unusable();
      return tx.find(Attachment, { id: { $in: ids } }, { orderBy: { createdAt: 'asc', id: 'asc' }, refresh: true });
    });
  }

  /** Each message's attachments, oldest first; every id asked for has an entry, empty when it has none. */
  async findForMessages(conversationMessageIds: string[]): Promise<Map<string, AttachmentView[]>> {
    const byMessage = new Map<string, AttachmentView[]>(conversationMessageIds.map((id) => [id, []]));
    if (byMessage.size === 0) return byMessage;
    const attachments = await this.em.find(Attachment, { conversationMessageId: { $in: [...byMessage.keys()] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    for (const attachment of attachments) byMessage.get(attachment.conversationMessageId!)!.push(toAttachmentView(attachment));
    return byMessage;
  }
}

export const toAttachmentView = (attachment: Attachment): AttachmentView => ({
  id: attachment.id,
  filename: attachment.filename,
  size: attachment.size,
  contentType: attachment.contentType,
  sha256: attachment.sha256,
});
