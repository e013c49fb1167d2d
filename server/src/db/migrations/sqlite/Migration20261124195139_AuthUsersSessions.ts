import { Migration } from '@mikro-orm/migrations';

export class Migration20261124195139_AuthUsersSessions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`sessions\` (\`id\` text not null, \`id_hash\` text not null, \`user_id\` text null, \`name\` text not null, \`role\` text not null, \`source\` text not null, \`csrf_token\` text not null, \`expires_at\` datetime not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`sessions_id_hash_unique\` on \`sessions\` (\`id_hash\`);`);
    this.addSql(`create index \`sessions_user_id_index\` on \`sessions\` (\`user_id\`);`);
    this.addSql(`create index \`sessions_expires_at_index\` on \`sessions\` (\`expires_at\`);`);

    this.addSql(`create table \`users\` (\`id\` text not null, \`name\` text not null, \`password_hash\` text not null, \`role\` text not null default 'viewer', \`created_at\` datetime not null, \`password_changed_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`users_name_unique\` on \`users\` (\`name\`);`);

    this.addSql(`alter table \`api_tokens\` add column \`role\` text not null default 'viewer';`);
    this.addSql(`alter table \`api_tokens\` add column \`created_by\` text null;`);
  }

}
