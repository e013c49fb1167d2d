import { Migration } from '@mikro-orm/migrations';
import { caseDuplicateRenames, MIGRATION_ACTOR } from '../user-name-case-duplicates.js';

export class Migration20261208015536_UserNamesIgnoreCase extends Migration {

  override async up(): Promise<void> {
    const users = (await this.execute('select `id`, `name` from `users` order by `created_at`, `id`')) as { id: string; name: string }[];
    for (const rename of caseDuplicateRenames(users)) {
      await this.execute('update `users` set `name` = ? where `id` = ?', [rename.to, rename.id]);
      await this.execute('insert into `activity` (`actor`, `action`, `target_type`, `target_id`, `target_name`, `outcome`, `detail`, `at`) values (?, ?, ?, ?, ?, ?, ?, ?)', [MIGRATION_ACTOR, 'krintUser.rename', 'krintUser', rename.id, rename.to, 'succeeded', rename.detail, Date.now()]);
    }
    // SQLite cannot add a NOT NULL column without a default to a table with rows: the table is rebuilt.
    this.addSql(`create table \`users_new\` (\`id\` text not null, \`name\` text not null, \`password_hash\` text not null, \`role\` text not null default 'viewer', \`created_at\` datetime not null, \`password_changed_at\` datetime not null, \`name_key\` text not null, primary key (\`id\`));`);
    this.addSql(`insert into \`users_new\` (\`id\`, \`name\`, \`password_hash\`, \`role\`, \`created_at\`, \`password_changed_at\`, \`name_key\`) select \`id\`, \`name\`, \`password_hash\`, \`role\`, \`created_at\`, \`password_changed_at\`, lower(\`name\`) from \`users\`;`);
    this.addSql(`drop table \`users\`;`);
    this.addSql(`alter table \`users_new\` rename to \`users\`;`);
    this.addSql(`create unique index \`users_name_unique\` on \`users\` (\`name\`);`);
    this.addSql(`create unique index \`users_name_key_unique\` on \`users\` (\`name_key\`);`);
  }

}
