import { Migration } from '@mikro-orm/migrations';

/**
 * Campaigns: one message to many users. The audience is snapshotted into campaign_recipient (in order, so
 * the workflow works through it by position); the message-center entries are message rows of the
 * campaign (one per recipient, unique); provider sends are delivery rows of subject `campaign`. Users get
 * a time zone and organisations a default one and quiet hours; a delivery may wait for `not_before`.
 */
export class Migration20261202040000Campaigns extends Migration {
  override up(): void {
    this.addSql(
      `create table "campaign" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "name" text not null,
        "title" text not null, "body" text not null, "channels" text[] not null, "deliver_at" timestamptz not null, "dismiss_at" timestamptz null,
        "audience" jsonb not null, "fallback" jsonb null, "status" text not null default 'scheduled', "recipients" int null, "skipped" int null,
        "workflow_id" text not null, "created_by_id" uuid not null references "app_user" ("id"), "created_at" timestamptz not null,
        "started_at" timestamptz null, "completed_at" timestamptz null, "cancelled_at" timestamptz null, "paused_at" timestamptz null,
        "idempotency_key" text null, "request_hash" text null, primary key ("id"),
        constraint "campaign_status_check" check ("status" in ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
        constraint "campaign_dismiss_after_deliver_check" check ("dismiss_at" is null or "dismiss_at" > "deliver_at"));`,
    );
    this.addSql(`create index "campaign_organization_id_created_at_index" on "campaign" ("organization_id", "created_at" desc, "id" desc);`);
    this.addSql(`create unique index "campaign_idempotency_key_unique" on "campaign" ("created_by_id", "idempotency_key");`);

    this.addSql(
      `create table "campaign_recipient" ("campaign_id" uuid not null references "campaign" ("id") on delete cascade, "seq" int not null,
        "user_id" uuid null references "app_user" ("id") on delete set null, "given" text null, "status" text not null, "skip_reason" text null,
        primary key ("campaign_id", "seq"), constraint "campaign_recipient_status_check" check ("status" in ('included', 'skipped')));`,
    );
    this.addSql(`create unique index "campaign_recipient_user_unique" on "campaign_recipient" ("campaign_id", "user_id") where "status" = 'included';`);

    this.addSql(`alter table "message" add column "campaign_id" uuid null references "campaign" ("id") on delete cascade;`);
    this.addSql(`create unique index "message_campaign_recipient_unique" on "message" ("campaign_id", "recipient_id") where "campaign_id" is not null;`);

    this.addSql(`alter table "delivery" drop constraint "delivery_subject_type_check";`);
    this.addSql(
      `alter table "delivery" add constraint "delivery_subject_type_check" check ("subject_type" in ('message', 'conversation_message', 'chat_request_event', 'campaign'));`,
    );
    this.addSql(`alter table "delivery" add column "not_before" timestamptz null;`);

    this.addSql(`alter table "app_user" add column "timezone" text null;`);
    this.addSql(`alter table "organization" add column "timezone" text not null default 'UTC', add column "quiet_hours" jsonb null;`);
  }

  override down(): void {
    this.addSql(`alter table "organization" drop column "timezone", drop column "quiet_hours";`);
    this.addSql(`alter table "app_user" drop column "timezone";`);
    this.addSql(`alter table "delivery" drop column "not_before";`);
    this.addSql(`delete from "delivery" where "subject_type" = 'campaign';`);
    this.addSql(`alter table "delivery" drop constraint "delivery_subject_type_check";`);
    this.addSql(
      `alter table "delivery" add constraint "delivery_subject_type_check" check ("subject_type" in ('message', 'conversation_message', 'chat_request_event'));`,
    );
    this.addSql(`delete from "message" where "campaign_id" is not null;`);
    this.addSql(`alter table "message" drop column "campaign_id";`);
    this.addSql(`drop table if exists "campaign_recipient" cascade;`);
    this.addSql(`drop table if exists "campaign" cascade;`);
  }
}
