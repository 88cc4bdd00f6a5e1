import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery core:
 * - `workflow_outbox`: what Temporal must hear (starts, signals), written in the same transaction as the
 *   rows it is about and sent by the relay after commit; a statement trigger wakes the relay on commit.
 * - The message center is a query: a message is in it from `deliver_at` to `dismiss_at`, unless cancelled
 *   or removed by its recipient (`removed_at`), whatever its workflow has got round to.
 */
export class Migration20261202000000DeliveryCore extends Migration {
  override up(): void {
    this.addSql(
      `create table "workflow_outbox" ("id" bigserial not null, "workflow_id" text not null, "command" jsonb not null, "attempts" int not null default 0, "available_at" timestamptz not null default now(), "last_error" text null, "created_at" timestamptz not null default now(), primary key ("id"));`,
    );
    this.addSql(`create index "workflow_outbox_available_at_index" on "workflow_outbox" ("available_at", "id");`);
    this.addSql(`create index "workflow_outbox_workflow_id_index" on "workflow_outbox" ("workflow_id", "id");`);
    this.addSql(
      `create function "workflow_outbox_notify"() returns trigger language plpgsql as $$ begin perform pg_notify('workflow_outbox', ''); return null; end $$;`,
    );
    this.addSql(`create trigger "workflow_outbox_inserted" after insert on "workflow_outbox" for each statement execute function "workflow_outbox_notify"();`);

    this.addSql(`alter table "message" add column "removed_at" timestamptz null;`);
    this.addSql(`drop index "message_recipient_center_idx";`);
    this.addSql(
      `create index "message_center_index" on "message" ("recipient_id", "deliver_at" desc, "id" desc) where 'message_center' = any("channels") and "status" <> 'cancelled' and "removed_at" is null;`,
    );
    // The reconciler's scans: messages whose workflow should have acted by now.
    this.addSql(`create index "message_overdue_index" on "message" ("deliver_at") where "status" = 'scheduled';`);
    this.addSql(`create index "message_dismiss_due_index" on "message" ("dismiss_at") where "status" = 'delivered' and "dismiss_at" is not null;`);
  }

  override down(): void {
    this.addSql(`drop index "message_dismiss_due_index";`);
    this.addSql(`drop index "message_overdue_index";`);
    this.addSql(`drop index "message_center_index";`);
    this.addSql(`create index "message_recipient_center_idx" on "message" ("recipient_id", "status", "delivered_at");`);
    this.addSql(`alter table "message" drop column "removed_at";`);
    this.addSql(`drop table "workflow_outbox";`);
    this.addSql(`drop function "workflow_outbox_notify"();`);
  }
}
