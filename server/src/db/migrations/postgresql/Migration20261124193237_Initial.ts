import { Migration } from '@mikro-orm/migrations';

export class Migration20261124193237_Initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "activity" ("id" serial primary key, "actor" varchar(128) not null, "action" varchar(64) not null, "target_type" varchar(32) not null, "target_id" varchar(64) null, "target_name" varchar(255) null, "outcome" varchar(16) not null default 'succeeded', "detail" text null, "at" timestamptz not null);`);
    this.addSql(`create index "activity_action_index" on "activity" ("action");`);
    this.addSql(`create index "activity_target_id_index" on "activity" ("target_id");`);

    this.addSql(`create table "api_tokens" ("id" varchar(36) not null, "name" varchar(128) not null, "hash" varchar(255) not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "created_at" timestamptz not null, constraint "api_tokens_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_hash_unique" unique ("hash");`);

    this.addSql(`create table "backups" ("id" varchar(36) not null, "instance_id" varchar(36) not null, "instance_name" varchar(64) not null, "engine" varchar(64) not null, "engine_version" varchar(64) not null, "file" varchar(255) not null, "size_bytes" bigint not null default 0, "status" varchar(16) not null default 'running', "kind" varchar(16) not null default 'manual', "schedule_id" varchar(36) null, "error" text null, "created_at" timestamptz not null, "completed_at" timestamptz null, constraint "backups_pkey" primary key ("id"));`);
    this.addSql(`create index "backups_instance_id_index" on "backups" ("instance_id");`);
    this.addSql(`alter table "backups" add constraint "backups_file_unique" unique ("file");`);
    this.addSql(`create index "backups_schedule_id_index" on "backups" ("schedule_id");`);

    this.addSql(`create table "backup_schedules" ("id" varchar(36) not null, "instance_id" varchar(36) not null, "cron" varchar(120) not null, "enabled" boolean not null default true, "retention_count" int null, "retention_days" int null, "last_run_at" timestamptz null, "last_status" varchar(16) null, "last_error" text null, "created_at" timestamptz not null, constraint "backup_schedules_pkey" primary key ("id"));`);
    this.addSql(`create index "backup_schedules_instance_id_index" on "backup_schedules" ("instance_id");`);

    this.addSql(`create table "instances" ("id" varchar(36) not null, "engine" varchar(64) not null, "version" varchar(64) not null, "previous_version" varchar(64) null, "previous_container_id" varchar(128) null, "previous_container_name" varchar(255) null, "previous_volume_name" varchar(255) null, "name" varchar(64) not null, "slug" varchar(64) not null, "node_id" varchar(36) null, "container_id" varchar(128) null, "container_name" varchar(255) null, "volume_name" varchar(255) null, "host_port" int null, "is_public" boolean not null default false, "storage" varchar(16) not null default 'volume', "host_path" text null, "plugins" jsonb not null, "default_database" varchar(255) not null, "root_user" varchar(255) not null, "root_password_sealed" text not null, "status" varchar(16) not null default 'provisioning', "status_detail" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "instances_pkey" primary key ("id"));`);
    this.addSql(`create index "instances_node_id_index" on "instances" ("node_id");`);

    this.addSql(`create table "managed_databases" ("id" varchar(36) not null, "instance_id" varchar(36) not null, "name" varchar(255) not null, "created_at" timestamptz not null, constraint "managed_databases_pkey" primary key ("id"));`);
    this.addSql(`create index "managed_databases_instance_id_index" on "managed_databases" ("instance_id");`);
    this.addSql(`alter table "managed_databases" add constraint "managed_databases_instance_id_name_unique" unique ("instance_id", "name");`);

    this.addSql(`create table "managed_users" ("id" varchar(36) not null, "instance_id" varchar(36) not null, "name" varchar(255) not null, "password_sealed" text not null, "created_at" timestamptz not null, constraint "managed_users_pkey" primary key ("id"));`);
    this.addSql(`create index "managed_users_instance_id_index" on "managed_users" ("instance_id");`);
    this.addSql(`alter table "managed_users" add constraint "managed_users_instance_id_name_unique" unique ("instance_id", "name");`);

    this.addSql(`create table "nodes" ("id" varchar(36) not null, "name" varchar(64) not null, "token_hash" varchar(255) not null, "details" jsonb null, "last_seen_at" timestamptz null, "created_at" timestamptz not null, constraint "nodes_pkey" primary key ("id"));`);
    this.addSql(`alter table "nodes" add constraint "nodes_name_unique" unique ("name");`);

    this.addSql(`create table "settings" ("key" varchar(128) not null, "value" text not null, constraint "settings_pkey" primary key ("key"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "activity" cascade;`);

    this.addSql(`drop table if exists "api_tokens" cascade;`);

    this.addSql(`drop table if exists "backups" cascade;`);

    this.addSql(`drop table if exists "backup_schedules" cascade;`);

    this.addSql(`drop table if exists "instances" cascade;`);

    this.addSql(`drop table if exists "managed_databases" cascade;`);

    this.addSql(`drop table if exists "managed_users" cascade;`);

    this.addSql(`drop table if exists "nodes" cascade;`);

    this.addSql(`drop table if exists "settings" cascade;`);
  }

}
