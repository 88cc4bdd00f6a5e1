import { Migration } from '@mikro-orm/migrations';

/**
 * The reconciler looks every minute at the last few minutes of reads and of conversation messages; without
 * these indexes each look would read the whole table.
 */
export class Migration20261202020000ReconcilerIndexes extends Migration {
  override up(): void {
    this.addSql(
      `create index "message_read_awaiting_workflow_index" on "message" ("read_at") where "status" = 'delivered' and "dismiss_at" is null and "read_at" is not null;`,
    );
    this.addSql(`create index "conversation_message_created_at_index" on "conversation_message" ("created_at");`);
  }

  override down(): void {
    this.addSql(`drop index "conversation_message_created_at_index";`);
    this.addSql(`drop index "message_read_awaiting_workflow_index";`);
  }
}
