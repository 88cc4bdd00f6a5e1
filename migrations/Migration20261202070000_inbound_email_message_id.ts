import { Migration } from '@mikro-orm/migrations';

/**
 * An inbound email remembers its Message-ID header, unique: SendGrid Inbound Parse posts a mail again when
 * it did not hear 2xx in time, and the repeat must not become a second message. Mail stored so far has none.
 */
export class Migration20261202070000InboundEmailMessageId extends Migration {
  override up(): void {
    this.addSql(
      `alter table "inbound_email" add column "email_message_id" text null, add constraint "inbound_email_email_message_id_unique" unique ("email_message_id");`,
    );
  }

  override down(): void {
    this.addSql(`alter table "inbound_email" drop constraint "inbound_email_email_message_id_unique", drop column "email_message_id";`);
  }
}
