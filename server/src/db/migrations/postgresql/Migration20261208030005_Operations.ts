import { Migration } from '@mikro-orm/migrations';

export class Migration20261208030005_Operations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "operations" ("id" varchar(36) not null, "kind" varchar(16) not null, "instance_id" varchar(36) not null, "instance_name" varchar(64) not null, "actor" varchar(128) not null, "owner" varchar(128) not null, "state" varchar(16) not null default 'running', "steps" jsonb not null, "detail" text null, "message" text null, "error" text null, "result" jsonb null, "reconciliation" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "finished_at" timestamptz null, constraint "operations_pkey" primary key ("id"));`);
    this.addSql(`create index "operations_state_index" on "operations" ("state");`);
    this.addSql(`create index "operations_instance_id_created_at_index" on "operations" ("instance_id", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "operations" cascade;`);
  }

}
