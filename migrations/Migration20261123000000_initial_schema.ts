import { Migration } from '@mikro-orm/migrations';

/** Organisations, users, scheduled messages with their per-channel deliveries, push subscriptions, audit. */
export class Migration20261123000000InitialSchema extends Migration {
  override up(): void {
    this.addSql(
      `create table "audit_event" ("id" uuid not null, "organization_id" uuid not null, "actor_id" uuid null, "action" text not null, "subject_type" text not null, "subject_id" uuid not null, "details" jsonb null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "audit_event_organization_id_subject_type_subject_id_index" on "audit_event" ("organization_id", "subject_type", "subject_id");`);
    this.addSql(
      `create table "login_attempt" ("id" uuid not null, "email" text not null, "ip" text not null, "attempted_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "login_attempt_ip_attempted_at_index" on "login_attempt" ("ip", "attempted_at");`);
    this.addSql(`create index "login_attempt_email_attempted_at_index" on "login_attempt" ("email", "attempted_at");`);
    this.addSql(
      `create table "organization" ("id" uuid not null, "name" text not null, "notification_mode" text not null default 'privacy', "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "organization" add constraint "organization_notification_mode_check" check ("notification_mode" in ('privacy', 'convenience'));`);
    this.addSql(
      `create table "app_user" ("id" uuid not null, "organization_id" uuid not null, "email" text not null, "name" text not null, "role" text not null, "phone" text null, "password_hash" text null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`);
    this.addSql(`create index "app_user_organization_id_created_at_index" on "app_user" ("organization_id", "created_at");`);
    this.addSql(`alter table "app_user" add constraint "app_user_role_check" check ("role" in ('admin', 'staff', 'member'));`);
    this.addSql(
      `create table "push_subscription" ("id" uuid not null, "user_id" uuid not null, "endpoint" text not null, "p256dh" text not null, "auth" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "push_subscription" add constraint "push_subscription_endpoint_unique" unique ("endpoint");`);
    this.addSql(`create index "push_subscription_user_id_index" on "push_subscription" ("user_id");`);
    this.addSql(
      `create table "message" ("id" uuid not null, "organization_id" uuid not null, "recipient_id" uuid not null, "created_by_id" uuid not null, "title" text not null, "body" text not null, "channels" text[] not null, "status" text not null default 'scheduled', "deliver_at" timestamptz not null, "dismiss_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, "dismissed_at" timestamptz null, "cancelled_at" timestamptz null, "workflow_id" text not null, "idempotency_key" text null, "request_hash" text null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "message_recipient_center_idx" on "message" ("recipient_id", "status", "delivered_at");`);
    this.addSql(`create index "message_organization_id_created_at_index" on "message" ("organization_id", "created_at");`);
    this.addSql(`alter table "message" add constraint "message_idempotency_key_unique" unique ("created_by_id", "idempotency_key");`);
    this.addSql(
      `alter table "message" add constraint "message_channels_check" check ("channels" <@ array['message_center'::text, 'push'::text, 'email'::text, 'sms'::text]);`,
    );
    this.addSql(
      `alter table "message" add constraint "message_status_check" check ("status" in ('scheduled', 'delivered', 'cancelled', 'failed', 'dismissed'));`,
    );
    this.addSql(
      `create table "message_delivery" ("id" uuid not null, "message_id" uuid not null, "channel" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "last_error" text null, "provider_message_id" text null, "sent_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "message_delivery" add constraint "message_delivery_message_id_channel_unique" unique ("message_id", "channel");`);
    this.addSql(
      `alter table "message_delivery" add constraint "message_delivery_channel_check" check ("channel" in ('message_center', 'push', 'email', 'sms'));`,
    );
    this.addSql(`alter table "message_delivery" add constraint "message_delivery_status_check" check ("status" in ('pending', 'sent', 'failed', 'skipped'));`);
    this.addSql(`alter table "app_user" add constraint "app_user_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`);
    this.addSql(
      `alter table "push_subscription" add constraint "push_subscription_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "message" add constraint "message_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`);
    this.addSql(`alter table "message" add constraint "message_recipient_id_foreign" foreign key ("recipient_id") references "app_user" ("id");`);
    this.addSql(`alter table "message" add constraint "message_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id");`);
    this.addSql(
      `alter table "message_delivery" add constraint "message_delivery_message_id_foreign" foreign key ("message_id") references "message" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql('drop table if exists "message_delivery", "message", "push_subscription", "app_user", "organization", "login_attempt", "audit_event" cascade;');
  }
}
