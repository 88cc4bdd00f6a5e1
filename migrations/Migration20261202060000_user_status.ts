import { Migration } from '@mikro-orm/migrations';

/**
 * Users can be deactivated: they cannot log in, their tokens stop working, and nothing new is addressed to
 * them (campaign audiences skip them as `deactivated`). Every existing user is active.
 */
export class Migration20261202060000UserStatus extends Migration {
  override up(): void {
    this.addSql(
      `alter table "app_user" add column "status" text not null default 'active', add column "deactivated_at" timestamptz null,
        add constraint "app_user_status_check" check ("status" in ('active', 'deactivated'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "app_user" drop constraint "app_user_status_check", drop column "deactivated_at", drop column "status";`);
  }
}
