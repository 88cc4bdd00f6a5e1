import { Migration } from '@mikro-orm/migrations';

/**
 * What the provider tells about a send after accepting it (SendGrid's Event Webhook): delivered, bounced,
 * dropped, deferred. One row per provider event, recorded once (`provider_event_id` is SendGrid's
 * `sg_event_id`, which its retries repeat); a delivery's timeline shows them after its attempts.
 */
export class Migration20261202050000ProviderEvents extends Migration {
  override up(): void {
    this.addSql(
      `create table "delivery_event" ("id" uuid not null, "delivery_id" uuid not null references "delivery" ("id") on delete cascade,
        "event" text not null, "reason" text null, "provider_event_id" text not null, "occurred_at" timestamptz not null,
        "created_at" timestamptz not null default now(), primary key ("id"),
        constraint "delivery_event_event_check" check ("event" in ('delivered', 'bounced', 'dropped', 'deferred')));`,
    );
    this.addSql(`alter table "delivery_event" add constraint "delivery_event_provider_event_id_unique" unique ("provider_event_id");`);
    this.addSql(`create index "delivery_event_delivery_id_index" on "delivery_event" ("delivery_id", "occurred_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "delivery_event" cascade;`);
  }
}
