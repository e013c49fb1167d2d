import { Migration } from '@mikro-orm/migrations';
import { caseDuplicateRenames, MIGRATION_ACTOR } from '../user-name-case-duplicates.js';

export class Migration20261208015546_UserNamesIgnoreCase extends Migration {

  override async up(): Promise<void> {
    const users = (await this.execute('select "id", "name" from "users" order by "created_at", "id"')) as { id: string; name: string }[];
    for (const rename of caseDuplicateRenames(users)) {
      await this.execute('update "users" set "name" = ? where "id" = ?', [rename.to, rename.id]);
      await this.execute('insert into "activity" ("actor", "action", "target_type", "target_id", "target_name", "outcome", "detail", "at") values (?, ?, ?, ?, ?, ?, ?, ?)', [MIGRATION_ACTOR, 'krintUser.rename', 'krintUser', rename.id, rename.to, 'succeeded', rename.detail, new Date()]);
    }
    this.addSql(`alter table "users" add column "name_key" varchar(64) null;`);
    this.addSql(`update "users" set "name_key" = lower("name");`);
    this.addSql(`alter table "users" alter column "name_key" set not null;`);
    this.addSql(`alter table "users" add constraint "users_name_key_unique" unique ("name_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop constraint "users_name_key_unique";`);
    this.addSql(`alter table "users" drop column "name_key";`);
  }

}
