import { Migration } from '@mikro-orm/migrations';

/**
 * Messages are ordered, and read, by a sequence the database assigns within each conversation, not by the
 * application's clock. A trigger numbers each new message from its conversation's counter; the counter's row stays
 * locked until the inserting transaction ends, so within a conversation messages commit in the order of their
 * numbers, and "read through n" can never pass over a message that commits later. Existing messages are numbered in
 * the order they were stored, and each participant's read mark moves from a time to a number.
 */
export class Migration20261202100000MessageSequence extends Migration {
  override up(): void {
    this.addSql(`alter table "conversation" add column "last_message_seq" bigint not null default 0;`);
    this.addSql(`alter table "conversation_message" add column "seq" bigint null;`);
    this.addSql(
      `update "conversation_message" m set "seq" = numbered.n
         from (select id, row_number() over (partition by conversation_id order by created_at, id) as n from "conversation_message") numbered
        where numbered.id = m.id;`,
    );
    this.addSql(`alter table "conversation_message" alter column "seq" set not null;`);
    this.addSql(`create unique index "conversation_message_conversation_id_seq_unique" on "conversation_message" ("conversation_id", "seq");`);
    this.addSql(
      `update "conversation" c set "last_message_seq" = coalesce((select max(seq) from "conversation_message" m where m.conversation_id = c.id), 0);`,
    );
    this.addSql(`alter table "conversation_participant" add column "last_read_seq" bigint not null default 0;`);
    this.addSql(
      `update "conversation_participant" p set "last_read_seq" = coalesce(
         (select max(m.seq) from "conversation_message" m where m.conversation_id = p.conversation_id and m.created_at <= p.last_read_at), 0)
        where p.last_read_at is not null;`,
    );
    this.addSql(
      `create function "conversation_message_number"() returns trigger language plpgsql as $$
       begin
         update "conversation" set "last_message_seq" = "last_message_seq" + 1 where id = new.conversation_id returning "last_message_seq" into new.seq;
         return new;
       end $$;`,
    );
    this.addSql(
      `create trigger "conversation_message_number" before insert on "conversation_message" for each row execute function "conversation_message_number"();`,
    );
  }

  override down(): void {
    this.addSql(`drop trigger "conversation_message_number" on "conversation_message";`);
    this.addSql(`drop function "conversation_message_number"();`);
    this.addSql(`alter table "conversation_participant" drop column "last_read_seq";`);
    this.addSql(`drop index "conversation_message_conversation_id_seq_unique";`);
    this.addSql(`alter table "conversation_message" drop column "seq";`);
    this.addSql(`alter table "conversation" drop column "last_message_seq";`);
  }
}
