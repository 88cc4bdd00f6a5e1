import { Migration } from '@mikro-orm/migrations';

/**
 * One delivery ledger for every provider send: scheduled messages and conversation notifications (and
 * whatever sends next) each write one `delivery` row per recipient, channel, kind and target (a push
 * subscription is a target of its own), and one `delivery_attempt` row per attempt: the delivery's
 * timeline. An attempt is claimed (`sending`, with a lease) before the provider is called.
 * The message center is not a send: it is the inbox query, so it has no ledger rows.
 */
export class Migration20261202010000DeliveryLedger extends Migration {
  override up(): void {
    this.addSql(`create table "delivery" (
      "id" uuid not null, "organization_id" uuid not null, "subject_type" text not null, "subject_id" uuid not null,
      "recipient_id" uuid not null, "channel" text not null, "kind" text not null, "about_user_id" uuid not null,
      "target" text not null default '', "status" text not null default 'pending', "attempts" int not null default 0,
      "lease_until" timestamptz null, "last_error" text null, "provider_message_id" text null, "due_at" timestamptz not null,
      "sent_at" timestamptz null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(
      `alter table "delivery" add constraint "delivery_key_unique" unique ("subject_type", "subject_id", "recipient_id", "channel", "kind", "about_user_id", "target");`,
    );
    this.addSql(`alter table "delivery" add constraint "delivery_subject_type_check" check ("subject_type" in ('message', 'conversation_message'));`);
    this.addSql(`alter table "delivery" add constraint "delivery_channel_check" check ("channel" in ('push', 'email', 'sms'));`);
    this.addSql(`alter table "delivery" add constraint "delivery_status_check" check ("status" in ('pending', 'sending', 'sent', 'skipped', 'failed'));`);
    this.addSql(
      `alter table "delivery" add constraint "delivery_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "delivery" add constraint "delivery_recipient_id_foreign" foreign key ("recipient_id") references "app_user" ("id") on delete cascade;`,
    );
    this.addSql(`create index "delivery_subject_index" on "delivery" ("subject_id", "subject_type");`);
    this.addSql(`create table "delivery_attempt" (
      "delivery_id" uuid not null, "number" int not null, "started_at" timestamptz not null default now(),
      "finished_at" timestamptz null, "outcome" text null, "reason" text null, primary key ("delivery_id", "number"));`);
    this.addSql(
      `alter table "delivery_attempt" add constraint "delivery_attempt_delivery_id_foreign" foreign key ("delivery_id") references "delivery" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "delivery_attempt" add constraint "delivery_attempt_outcome_check" check ("outcome" in ('sent', 'skipped', 'failed', 'retrying', 'unknown', 'resent_after_crash'));`,
    );

    // What the two old records knew moves into the ledger; their timelines start with this migration.
    this
      .addSql(`insert into "delivery" ("id", "organization_id", "subject_type", "subject_id", "recipient_id", "channel", "kind", "about_user_id", "status", "attempts", "last_error", "provider_message_id", "due_at", "sent_at", "created_at")
      select d.id, m.organization_id, 'message', m.id, m.recipient_id, d.channel, 'message', m.recipient_id, d.status, d.attempts, d.last_error, d.provider_message_id, greatest(m.deliver_at, m.created_at), d.sent_at, m.created_at
        from "message_delivery" d join "message" m on m.id = d.message_id where d.channel <> 'message_center';`);
    this
      .addSql(`insert into "delivery" ("id", "organization_id", "subject_type", "subject_id", "recipient_id", "channel", "kind", "about_user_id", "status", "attempts", "last_error", "provider_message_id", "due_at", "sent_at", "created_at")
      select n.id, c.organization_id, 'conversation_message', n.message_id, n.user_id, n.channel, n.kind, n.about_user_id, n.status, n.attempts, n.last_error, n.provider_message_id, cm.created_at, n.sent_at, n.created_at
        from "conversation_notification" n join "conversation_message" cm on cm.id = n.message_id join "conversation" c on c.id = cm.conversation_id;`);
    this.addSql(`drop table "message_delivery";`);
    this.addSql(`drop table "conversation_notification";`);
  }
}
