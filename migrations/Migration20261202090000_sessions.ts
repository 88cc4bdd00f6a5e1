import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions that can be taken away. A login is a session; its refresh tokens rotate (stored as SHA-256 hashes only)
 * and a reused one revokes the session. Each access token names its session and the user's session version, which
 * a role change bumps. Password resets keep only a hash of their one-time token. `session_idle_minutes` is the
 * organisation's automatic logoff.
 */
export class Migration20261202090000Sessions extends Migration {
  override up(): void {
    this.addSql(`alter table "app_user" add column "session_version" integer not null default 0, add column "password_changed_at" timestamptz null;`);
    this.addSql(`alter table "organization" add column "session_idle_minutes" integer not null default 30;`);
    this.addSql(
      `create table "auth_session" ("id" uuid not null, "user_id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "idle_expires_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" text null, primary key ("id"), constraint "auth_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade);`,
    );
    this.addSql(`create index "auth_session_user_id_index" on "auth_session" ("user_id") where "revoked_at" is null;`);
    this.addSql(
      `create table "refresh_token" ("id" uuid not null, "session_id" uuid not null, "token_hash" text not null, "created_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"), constraint "refresh_token_token_hash_unique" unique ("token_hash"), constraint "refresh_token_session_id_foreign" foreign key ("session_id") references "auth_session" ("id") on delete cascade);`,
    );
    this.addSql(`create index "refresh_token_session_id_index" on "refresh_token" ("session_id");`);
    this.addSql(
      `create table "password_reset" ("id" uuid not null, "user_id" uuid not null, "organization_id" uuid not null, "token_hash" text not null, "created_by_id" uuid null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"), constraint "password_reset_token_hash_unique" unique ("token_hash"), constraint "password_reset_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade);`,
    );
    this.addSql(`create index "password_reset_user_id_index" on "password_reset" ("user_id");`);
  }

  override down(): void {
    this.addSql(`drop table "password_reset";`);
    this.addSql(`drop table "refresh_token";`);
    this.addSql(`drop table "auth_session";`);
    this.addSql(`alter table "organization" drop column "session_idle_minutes";`);
    this.addSql(`alter table "app_user" drop column "session_version", drop column "password_changed_at";`);
  }
}
