import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/**
 * A file someone uploaded, kept on disk under ATTACHMENTS_DIR. The row holds only metadata: the
 * client's filename is shown back to people but never used to name anything on disk.
 */
@Entity({ tableName: 'attachment' })
@Index({ properties: ['organization', 'uploadedBy'] })
@Index({ properties: ['conversationMessageId'] })
@Check({ name: 'attachment_size_check', expression: 'size >= 0' })
export class Attachment {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => User, { fieldName: 'uploaded_by_id' })
  uploadedBy: User;

  /** As the client named it, without any path or control characters; metadata only. */
  @Property({ type: 'text' })
  filename: string;

  /** What the content was sniffed to be, never what the client claimed. */
  @Property({ type: 'text' })
  contentType: string;

  @Property({ type: 'integer' })
  size: number;

  /** Hex SHA-256 of the stored bytes. */
  @Property({ type: 'text' })
  sha256: string;

  /** The file's key inside ATTACHMENTS_DIR: a bare generated name, never a path. */
  @Property({ type: 'text', unique: true })
  storedAt: string;

  /** Set once a conversation message carries the attachment; until then only its uploader may use it. */
  @Property({ type: 'uuid', nullable: true })
  conversationMessageId: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
