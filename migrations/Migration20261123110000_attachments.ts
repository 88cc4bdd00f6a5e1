import { Migration } from '@mikro-orm/migrations';

/**
 * Attachments: uploaded files' metadata (the bytes live under ATTACHMENTS_DIR). `conversation_message_id`
 * has no foreign key yet; the conversations migration adds it with the table it points to.
 */
export class Migration20261123110000Attachments extends Migration {
  override up(): void {
    this.addSql(
      `create table "attachment" ("id" uuid not null, "organization_id" uuid not null, "uploaded_by_id" uuid not null, "filename" text not null, "content_type" text not null, "size" int not null, "sha256" text not null, "stored_at" text not null, "conversation_message_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "attachment" add constraint "attachment_stored_at_unique" unique ("stored_at");`);
    this.addSql(`create index "attachment_organization_id_uploaded_by_id_index" on "attachment" ("organization_id", "uploaded_by_id");`);
    this.addSql(`create index "attachment_conversation_message_id_index" on "attachment" ("conversation_message_id");`);
    this.addSql(`alter table "attachment" add constraint "attachment_size_check" check (size >= 0);`);
    this.addSql(
      `alter table "attachment" add constraint "attachment_organization_id_foreign" foreign key ("organization_id") references "organization" ("id");`,
    );
    this.addSql(`alter table "attachment" add constraint "attachment_uploaded_by_id_foreign" foreign key ("uploaded_by_id") references "app_user" ("id");`);
  }

  override down(): void {
    this.addSql('drop table if exists "attachment" cascade;');
  }
}
