import { Migration } from '@mikro-orm/migrations';

/**
 * Secure conversations: threads, participants (with their inbox row), messages, read receipts, the
 * notifications sent about them, and inbound email. Attachments now point at the message carrying them.
 */
export class Migration20261123120000Conversations extends Migration {
  override up(): void {
    this.addSql(
      `create table "inbound_email" ("id" uuid not null, "organization_id" uuid null, "conversation_id" uuid null, "user_id" uuid null, "from_address" text not null, "to_address" text not null, "status" text not null, "reason" text null, "message_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "inbound_email_organization_id_created_at_index" on "inbound_email" ("organization_id", "created_at");`);
    this.addSql(
      `create table "conversation" ("id" uuid not null, "organization_id" uuid not null, "client_account_id" uuid null, "subject" text not null, "status" text not null default 'open', "created_by_id" uuid not null, "created_at" timestamptz not null, "closed_at" timestamptz null, "closed_by_id" uuid null, primary key ("id"));`,
    );
    this.addSql(`create index "conversation_organization_id_client_account_id_index" on "conversation" ("organization_id", "client_account_id");`);
    this.addSql(
      `create table "conversation_participant" ("conversation_id" uuid not null, "user_id" uuid not null, "kind" text not null, "added_by_id" uuid not null, "added_at" timestamptz not null, "left_at" timestamptz null, "last_read_at" timestamptz null, "last_activity_at" timestamptz not null, "last_message_id" uuid null, primary key ("conversation_id", "user_id"));`,
    );
    this.addSql(
      `create index "conversation_participant_inbox_index" on "conversation_participant" ("user_id", "last_activity_at" desc, "conversation_id" desc) where "left_at" is null;`,
    );
    this.addSql(
      `create table "conversation_message" ("id" uuid not null, "conversation_id" uuid not null, "author_id" uuid not null, "author_kind" text not null, "body_html" text not null, "body_text" text not null, "read_receipt" boolean not null default false, "source" text not null default 'app', "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "conversation_message_conversation_id_created_at_index" on "conversation_message" ("conversation_id", "created_at");`);
    this.addSql(
      `create table "conversation_notification" ("id" uuid not null, "message_id" uuid not null, "user_id" uuid not null, "channel" text not null, "kind" text not null, "about_user_id" uuid not null, "status" text not null default 'pending', "attempts" int not null default 0, "last_error" text null, "provider_message_id" text null, "sent_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "conversation_notification" add constraint "conversation_notification_message_id_user_id_chan_61263_unique" unique ("message_id", "user_id", "channel", "kind", "about_user_id");`,
    );
    this.addSql(
      `create table "conversation_message_receipt" ("message_id" uuid not null, "user_id" uuid not null, "read_at" timestamptz not null, primary key ("message_id", "user_id"));`,
    );
    this.addSql(
      `alter table "conversation" add constraint "conversation_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`,
    );
    this.addSql(
      `alter table "conversation" add constraint "conversation_client_account_id_foreign" foreign key ("client_account_id") references "client_account" ("id") on delete set null;`,
    );
    this.addSql(`alter table "conversation" add constraint "conversation_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id");`);
    this.addSql(
      `alter table "conversation" add constraint "conversation_closed_by_id_foreign" foreign key ("closed_by_id") references "app_user" ("id") on delete set null;`,
    );
    this.addSql(`alter table "conversation" add constraint "conversation_status_check" check ("status" in ('open', 'closed'));`);
    this.addSql(
      `alter table "conversation_participant" add constraint "conversation_participant_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_participant" add constraint "conversation_participant_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_participant" add constraint "conversation_participant_added_by_id_foreign" foreign key ("added_by_id") references "app_user" ("id");`,
    );
    this.addSql(`alter table "conversation_participant" add constraint "conversation_participant_kind_check" check ("kind" in ('to', 'cc'));`);
    this.addSql(
      `alter table "conversation_message" add constraint "conversation_message_conversation_id_foreign" foreign key ("conversation_id") references "conversation" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_message" add constraint "conversation_message_author_id_foreign" foreign key ("author_id") references "app_user" ("id");`,
    );
    this.addSql(`alter table "conversation_message" add constraint "conversation_message_author_kind_check" check ("author_kind" in ('staff', 'to', 'cc'));`);
    this.addSql(
      `alter table "conversation_notification" add constraint "conversation_notification_message_id_foreign" foreign key ("message_id") references "conversation_message" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_notification" add constraint "conversation_notification_user_id_foreign" foreign key ("user_id") references "app_user" ("id");`,
    );
    this.addSql(
      `alter table "conversation_notification" add constraint "conversation_notification_channel_check" check ("channel" in ('push', 'email', 'sms'));`,
    );
    this.addSql(
      `alter table "conversation_notification" add constraint "conversation_notification_kind_check" check ("kind" in ('new_message', 'unread_reminder', 'read_receipt'));`,
    );
    this.addSql(
      `alter table "conversation_message_receipt" add constraint "conversation_message_receipt_message_id_foreign" foreign key ("message_id") references "conversation_message" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_message_receipt" add constraint "conversation_message_receipt_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_participant" add constraint "conversation_participant_last_message_id_foreign" foreign key ("last_message_id") references "conversation_message" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "attachment" add constraint "attachment_conversation_message_id_foreign" foreign key ("conversation_message_id") references "conversation_message" ("id") on delete set null;`,
    );
  }

  override down(): void {
    this.addSql('alter table "attachment" drop constraint if exists "attachment_conversation_message_id_foreign";');
    for (const table of [
      'conversation_message_receipt',
      'conversation_notification',
      'conversation_participant',
      'conversation_message',
      'conversation',
      'inbound_email',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
  }
}
