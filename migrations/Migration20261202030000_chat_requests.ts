import { Migration } from '@mikro-orm/migrations';

const DEFAULT_CHAT_REQUEST_SETTINGS = {
  intro: '',
  firstResponseMinutes: 60,
  escalateAfterMinutes: 240,
  supervisorTeamId: null,
  businessHours: null,
};

/**
 * Chat requests and care-manager task queues: programs and enrolments, the organisation's reasons, away
 * periods, the task mirror of each request's workflow and its events, and chats (conversations of kind
 * `chat`, one per member, care manager and program).
 */
export class Migration20261202030000ChatRequests extends Migration {
  override up(): void {
    this.addSql(
      `create table "program" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "name" text not null, "description" text null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create unique index "program_organization_id_name_unique" on "program" ("organization_id", lower("name"));`);

    this.addSql(
      `create table "enrollment" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "program_id" uuid not null references "program" ("id") on delete cascade, "member_id" uuid not null references "app_user" ("id") on delete cascade, "care_manager_id" uuid not null references "app_user" ("id"), "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create unique index "enrollment_program_id_member_id_unique" on "enrollment" ("program_id", "member_id");`);
    this.addSql(`create index "enrollment_member_id_index" on "enrollment" ("member_id");`);
    this.addSql(`create index "enrollment_care_manager_id_index" on "enrollment" ("care_manager_id");`);

    this.addSql(
      `create table "chat_request_reason" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "label" text not null, "active" boolean not null default true, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "chat_request_reason_organization_id_index" on "chat_request_reason" ("organization_id", "created_at");`);

    this.addSql(
      `create table "away_period" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "user_id" uuid not null references "app_user" ("id") on delete cascade, "covered_by_id" uuid not null references "app_user" ("id") on delete cascade, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "created_by_id" uuid not null references "app_user" ("id"), "created_at" timestamptz not null, primary key ("id"), constraint "away_period_ends_after_start_check" check ("ends_at" > "starts_at"), constraint "away_period_not_self_covered_check" check ("covered_by_id" <> "user_id"));`,
    );
    this.addSql(`create index "away_period_user_id_ends_at_index" on "away_period" ("user_id", "ends_at");`);

    this
      .addSql(`alter table "conversation" add column "kind" text not null default 'thread', add column "program_id" uuid null references "program" ("id") on delete set null,
      add column "chat_member_id" uuid null references "app_user" ("id") on delete cascade, add column "chat_care_manager_id" uuid null references "app_user" ("id") on delete cascade;`);
    this.addSql(`alter table "conversation" add constraint "conversation_kind_check" check ("kind" in ('thread', 'chat'));`);
    this.addSql(
      `create unique index "conversation_chat_unique" on "conversation" ("chat_member_id", "chat_care_manager_id", "program_id") where "kind" = 'chat';`,
    );
    this.addSql(`alter table "conversation_message" drop constraint "conversation_message_author_kind_check";`);
    this.addSql(
      `alter table "conversation_message" add constraint "conversation_message_author_kind_check" check ("author_kind" in ('staff', 'to', 'cc', 'system'));`,
    );

    this.addSql(
      `create table "chat_request" ("id" uuid not null, "organization_id" uuid not null references "organization" ("id"), "program_id" uuid not null references "program" ("id"),
        "member_id" uuid not null references "app_user" ("id") on delete cascade, "reason_id" uuid null references "chat_request_reason" ("id") on delete set null,
        "reason_label" text not null, "comment" text not null, "status" text not null default 'open',
        "owner_id" uuid not null references "app_user" ("id"), "assignee_id" uuid not null references "app_user" ("id"), "covering" boolean not null default false,
        "claimed_by_id" uuid null references "app_user" ("id"), "claimed_at" timestamptz null, "chat_id" uuid not null references "conversation" ("id"),
        "due_at" timestamptz not null, "escalate_at" timestamptz null, "first_response_at" timestamptz null, "breached_at" timestamptz null, "escalated_at" timestamptz null,
        "outcome" text null, "ended_at" timestamptz null, "ended_by_id" uuid null references "app_user" ("id"),
        "mirror_version" int not null default 0, "created_at" timestamptz not null, primary key ("id"),
        constraint "chat_request_status_check" check ("status" in ('open', 'closed', 'cancelled')));`,
    );
    this.addSql(`create index "chat_request_queue_index" on "chat_request" ("assignee_id", "due_at", "id") where "status" = 'open';`);
    this.addSql(
      `create index "chat_request_escalated_index" on "chat_request" ("organization_id", "due_at", "id") where "status" = 'open' and "escalated_at" is not null;`,
    );
    this.addSql(`create index "chat_request_assignee_history_index" on "chat_request" ("assignee_id", "status", "created_at" desc, "id" desc);`);
    this.addSql(`create index "chat_request_member_id_index" on "chat_request" ("member_id", "created_at" desc);`);
    this.addSql(`create unique index "chat_request_one_open_per_program" on "chat_request" ("member_id", "program_id") where "status" = 'open';`);
    this.addSql(`create index "chat_request_owner_id_index" on "chat_request" ("owner_id") where "status" = 'open';`);
    this.addSql(`create index "chat_request_awaiting_response_index" on "chat_request" ("chat_id") where "status" = 'open' and "first_response_at" is null;`);

    this.addSql(
      `create table "chat_request_event" ("id" uuid not null, "chat_request_id" uuid not null references "chat_request" ("id") on delete cascade, "kind" text not null, "actor_id" uuid null references "app_user" ("id") on delete set null, "details" jsonb not null default '{}', "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "chat_request_event_chat_request_id_index" on "chat_request_event" ("chat_request_id", "created_at");`);

    this.addSql(`alter table "organization" add column "chat_request_settings" jsonb not null default '${JSON.stringify(DEFAULT_CHAT_REQUEST_SETTINGS)}';`);
    this.addSql(`alter table "delivery" drop constraint "delivery_subject_type_check";`);
    this.addSql(
      `alter table "delivery" add constraint "delivery_subject_type_check" check ("subject_type" in ('message', 'conversation_message', 'chat_request_event'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "delivery" drop constraint "delivery_subject_type_check";`);
    this.addSql(`delete from "delivery" where "subject_type" = 'chat_request_event';`);
    this.addSql(`alter table "delivery" add constraint "delivery_subject_type_check" check ("subject_type" in ('message', 'conversation_message'));`);
    this.addSql(`alter table "organization" drop column "chat_request_settings";`);
    this.addSql(`drop table if exists "chat_request_event" cascade;`);
    this.addSql(`drop table if exists "chat_request" cascade;`);
    this.addSql(`delete from "conversation_message" where "author_kind" = 'system';`);
    this.addSql(`alter table "conversation_message" drop constraint "conversation_message_author_kind_check";`);
    this.addSql(`alter table "conversation_message" add constraint "conversation_message_author_kind_check" check ("author_kind" in ('staff', 'to', 'cc'));`);
    this.addSql(`delete from "conversation" where "kind" = 'chat';`);
    this.addSql(`alter table "conversation" drop column "kind", drop column "program_id", drop column "chat_member_id", drop column "chat_care_manager_id";`);
    for (const table of ['away_period', 'chat_request_reason', 'enrollment', 'program']) this.addSql(`drop table if exists "${table}" cascade;`);
  }
}
