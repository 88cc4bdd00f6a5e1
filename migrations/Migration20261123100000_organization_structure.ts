import { Migration } from '@mikro-orm/migrations';

/**
 * Organisation structure for conversations: teams, client accounts and who may see them, members'
 * coordinators, canned responses, and the organisation's conversation settings.
 */
export class Migration20261123100000OrganizationStructure extends Migration {
  override up(): void {
    this.addSql(
      `alter table "organization" add "allow_contacts_to_reopen" boolean not null default false, add "contact_messaging_restrict_to_coordinator" boolean not null default false, add "unread_reminder_minutes" int not null default 0;`,
    );
    this.addSql(
      `alter table "organization" add constraint "organization_unread_reminder_minutes_check" check (unread_reminder_minutes >= 0 AND unread_reminder_minutes <= 10080);`,
    );

    this.addSql(`alter table "app_user" add "coordinator_id" uuid null;`);
    this.addSql(
      `alter table "app_user" add constraint "app_user_coordinator_id_foreign" foreign key ("coordinator_id") references "app_user" ("id") on delete set null;`,
    );
    this.addSql(`create index "app_user_coordinator_id_index" on "app_user" ("coordinator_id");`);

    this.addSql(
      `create table "team" ("id" uuid not null, "organization_id" uuid not null, "name" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "team" add constraint "team_organization_id_name_unique" unique ("organization_id", "name");`);
    this.addSql(`alter table "team" add constraint "team_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`);
    this.addSql(
      `create table "team_member" ("team_id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, primary key ("team_id", "user_id"));`,
    );
    this.addSql(`create index "team_member_user_id_index" on "team_member" ("user_id");`);
    this.addSql(
      `alter table "team_member" add constraint "team_member_team_id_foreign" foreign key ("team_id") references "team" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "team_member" add constraint "team_member_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `create table "client_account" ("id" uuid not null, "organization_id" uuid not null, "name" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "client_account_organization_id_name_index" on "client_account" ("organization_id", "name");`);
    this.addSql(
      `alter table "client_account" add constraint "client_account_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`,
    );
    this.addSql(
      `create table "client_account_access" ("client_account_id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, primary key ("client_account_id", "user_id"));`,
    );
    this.addSql(`create index "client_account_access_user_id_index" on "client_account_access" ("user_id");`);
    this.addSql(
      `alter table "client_account_access" add constraint "client_account_access_client_account_id_foreign" foreign key ("client_account_id") references "client_account" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "client_account_access" add constraint "client_account_access_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `create table "canned_response" ("id" uuid not null, "organization_id" uuid not null, "title" text not null, "body" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "canned_response" add constraint "canned_response_organization_id_title_unique" unique ("organization_id", "title");`);
    this.addSql(
      `alter table "canned_response" add constraint "canned_response_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`,
    );

    this.addSql(
      `create table "contact_messaging_staff" ("organization_id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, primary key ("organization_id", "user_id"));`,
    );
    this.addSql(`create index "contact_messaging_staff_user_id_index" on "contact_messaging_staff" ("user_id");`);
    this.addSql(
      `alter table "contact_messaging_staff" add constraint "contact_messaging_staff_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "contact_messaging_staff" add constraint "contact_messaging_staff_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `create table "contact_messaging_team" ("organization_id" uuid not null, "team_id" uuid not null, "created_at" timestamptz not null, primary key ("organization_id", "team_id"));`,
    );
    this.addSql(`create index "contact_messaging_team_team_id_index" on "contact_messaging_team" ("team_id");`);
    this.addSql(
      `alter table "contact_messaging_team" add constraint "contact_messaging_team_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "contact_messaging_team" add constraint "contact_messaging_team_team_id_foreign" foreign key ("team_id") references "team" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `create table "read_notification_recipient" ("organization_id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, primary key ("organization_id", "user_id"));`,
    );
    this.addSql(`create index "read_notification_recipient_user_id_index" on "read_notification_recipient" ("user_id");`);
    this.addSql(
      `alter table "read_notification_recipient" add constraint "read_notification_recipient_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "read_notification_recipient" add constraint "read_notification_recipient_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(
      'drop table if exists "read_notification_recipient", "contact_messaging_team", "contact_messaging_staff", "canned_response", "client_account_access", "client_account", "team_member", "team" cascade;',
    );
    this.addSql('alter table "app_user" drop column if exists "coordinator_id";');
    this.addSql(
      'alter table "organization" drop constraint if exists "organization_unread_reminder_minutes_check", drop column if exists "allow_contacts_to_reopen", drop column if exists "contact_messaging_restrict_to_coordinator", drop column if exists "unread_reminder_minutes";',
    );
  }
}
