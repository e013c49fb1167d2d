import { Migration } from '@mikro-orm/migrations';

export class Migration20261124193232_Initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`activity\` (\`id\` integer not null primary key autoincrement, \`actor\` text not null, \`action\` text not null, \`target_type\` text not null, \`target_id\` text null, \`target_name\` text null, \`outcome\` text not null default 'succeeded', \`detail\` text null, \`at\` datetime not null);`);
    this.addSql(`create index \`activity_action_index\` on \`activity\` (\`action\`);`);
    this.addSql(`create index \`activity_target_id_index\` on \`activity\` (\`target_id\`);`);

    this.addSql(`create table \`api_tokens\` (\`id\` text not null, \`name\` text not null, \`hash\` text not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`api_tokens_hash_unique\` on \`api_tokens\` (\`hash\`);`);

    this.addSql(`create table \`backups\` (\`id\` text not null, \`instance_id\` text not null, \`instance_name\` text not null, \`engine\` text not null, \`engine_version\` text not null, \`file\` text not null, \`size_bytes\` bigint not null default 0, \`status\` text not null default 'running', \`kind\` text not null default 'manual', \`schedule_id\` text null, \`error\` text null, \`created_at\` datetime not null, \`completed_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`backups_instance_id_index\` on \`backups\` (\`instance_id\`);`);
    this.addSql(`create unique index \`backups_file_unique\` on \`backups\` (\`file\`);`);
    this.addSql(`create index \`backups_schedule_id_index\` on \`backups\` (\`schedule_id\`);`);

    this.addSql(`create table \`backup_schedules\` (\`id\` text not null, \`instance_id\` text not null, \`cron\` text not null, \`enabled\` integer not null default true, \`retention_count\` integer null, \`retention_days\` integer null, \`last_run_at\` datetime null, \`last_status\` text null, \`last_error\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`backup_schedules_instance_id_index\` on \`backup_schedules\` (\`instance_id\`);`);

    this.addSql(`create table \`instances\` (\`id\` text not null, \`engine\` text not null, \`version\` text not null, \`previous_version\` text null, \`previous_container_id\` text null, \`previous_container_name\` text null, \`previous_volume_name\` text null, \`name\` text not null, \`slug\` text not null, \`node_id\` text null, \`container_id\` text null, \`container_name\` text null, \`volume_name\` text null, \`host_port\` integer null, \`is_public\` integer not null default false, \`storage\` text not null default 'volume', \`host_path\` text null, \`plugins\` json not null, \`default_database\` text not null, \`root_user\` text not null, \`root_password_sealed\` text not null, \`status\` text not null default 'provisioning', \`status_detail\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`instances_node_id_index\` on \`instances\` (\`node_id\`);`);

    this.addSql(`create table \`managed_databases\` (\`id\` text not null, \`instance_id\` text not null, \`name\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`managed_databases_instance_id_index\` on \`managed_databases\` (\`instance_id\`);`);
    this.addSql(`create unique index \`managed_databases_instance_id_name_unique\` on \`managed_databases\` (\`instance_id\`, \`name\`);`);

    this.addSql(`create table \`managed_users\` (\`id\` text not null, \`instance_id\` text not null, \`name\` text not null, \`password_sealed\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`managed_users_instance_id_index\` on \`managed_users\` (\`instance_id\`);`);
    this.addSql(`create unique index \`managed_users_instance_id_name_unique\` on \`managed_users\` (\`instance_id\`, \`name\`);`);

    this.addSql(`create table \`nodes\` (\`id\` text not null, \`name\` text not null, \`token_hash\` text not null, \`details\` json null, \`last_seen_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`nodes_name_unique\` on \`nodes\` (\`name\`);`);

    this.addSql(`create table \`settings\` (\`key\` text not null, \`value\` text not null, primary key (\`key\`));`);
  }

}
