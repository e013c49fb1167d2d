import { Migration } from '@mikro-orm/migrations';

export class Migration20261124195155_AuthUsersSessions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sessions" ("id" varchar(36) not null, "id_hash" varchar(64) not null, "user_id" varchar(36) null, "name" varchar(128) not null, "role" varchar(16) not null, "source" varchar(16) not null, "csrf_token" varchar(64) not null, "expires_at" timestamptz not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_id_hash_unique" unique ("id_hash");`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);
    this.addSql(`create index "sessions_expires_at_index" on "sessions" ("expires_at");`);

    this.addSql(`create table "users" ("id" varchar(36) not null, "name" varchar(64) not null, "password_hash" varchar(255) not null, "role" varchar(16) not null default 'viewer', "created_at" timestamptz not null, "password_changed_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_name_unique" unique ("name");`);

    this.addSql(`alter table "api_tokens" add column "role" varchar(16) not null default 'viewer', add column "created_by" varchar(128) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sessions" cascade;`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`alter table "api_tokens" drop column "role", drop column "created_by";`);
  }

}
