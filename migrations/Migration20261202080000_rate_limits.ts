import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters, one row per key and fixed window, shared by every API instance. A request takes its place
 * with one atomic upsert before any work is done, so parallel requests cannot all slip under a limit. Failed logins
 * move here from `login_attempt`, which counted after the password hash and could be outrun by parallel attempts.
 */
export class Migration20261202080000RateLimits extends Migration {
  override up(): void {
    this.addSql(
      `create table "rate_limit_window" ("key" text not null, "window_start" timestamptz not null, "hits" integer not null, "expires_at" timestamptz not null, primary key ("key", "window_start"));`,
    );
    this.addSql(`create index "rate_limit_window_expires_at_index" on "rate_limit_window" ("expires_at");`);
    this.addSql(`drop table "login_attempt";`);
  }

  override down(): void {
    this.addSql(
      `create table "login_attempt" ("id" uuid not null, "email" text not null, "ip" text not null, "attempted_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "login_attempt_ip_attempted_at_index" on "login_attempt" ("ip", "attempted_at");`);
    this.addSql(`create index "login_attempt_email_attempted_at_index" on "login_attempt" ("email", "attempted_at");`);
    this.addSql(`drop table "rate_limit_window";`);
  }
}
