import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Module } from '@nestjs/common';
import type { UploadCleanupBatch } from '../../workflows/upload-cleanup.contract.js';
import { AttachmentStorage } from './attachment-storage.js';

/** How long an upload may wait for the message (or campaign) it was made for. */
export const ABANDONED_AFTER_HOURS = 24;
/** Rows deleted per transaction: a large backlog is many short transactions, not one long one. */
const BATCH = 500;

/**
 * Uploads never attached: a file uploaded for a message that was never sent, kept nowhere. After a day their rows
 * and files go. A campaign's audience CSV counts as attached for as long as the campaign names it. Refused inbound
 * mail removes its files at once, elsewhere (InboundEmailService).
 */
@Injectable()
export class AbandonedUploads {
  constructor(
    private readonly em: EntityManager,
    private readonly storage: AttachmentStorage,
  ) {}

  async deleteBatch(): Promise<UploadCleanupBatch> {
    const removed = await this.em.transactional(async (em) => {
      const rows = await em.execute<Array<{ id: string; stored_at: string; organization_id: string }>>(
        `delete from attachment where id in (
           select a.id from attachment a
            where a.conversation_message_id is null and a.created_at < now() - make_interval(hours => ?)
              and not exists (select 1 from campaign c where c.audience->>'csvAttachmentId' = a.id::text)
            order by a.created_at limit ? for update skip locked)
         returning id, stored_at, organization_id`,
        [ABANDONED_AFTER_HOURS, BATCH],
      );
      if (rows.length > 0) {
        await em.execute(
          `insert into audit_event (id, organization_id, actor_id, action, subject_type, subject_id, details, created_at)
           select gen_random_uuid(), organization_id, null, 'attachment.abandoned_deleted', 'attachment', id, null, now()
             from jsonb_to_recordset(?::jsonb) as removed(id uuid, organization_id uuid)`,
          [JSON.stringify(rows.map(({ id, organization_id }) => ({ id, organization_id })))],
        );
      }
      return rows;
    });
    // Files after the rows are gone for good: a crash in between leaves a file nobody can reach, never a row whose
    // download is broken.
    for (const { stored_at } of removed) await this.storage.remove(stored_at);
    return { deleted: removed.length, more: removed.length === BATCH };
  }
}

/** What the worker needs to clean up abandoned uploads. */
@Module({ providers: [AbandonedUploads, AttachmentStorage], exports: [AbandonedUploads] })
export class UploadCleanupModule {}
