import { Migration } from '@mikro-orm/migrations';

export class Migration20261208030000_Operations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`operations\` (\`id\` text not null, \`kind\` text not null, \`instance_id\` text not null, \`instance_name\` text not null, \`actor\` text not null, \`owner\` text not null, \`state\` text not null default 'running', \`steps\` json not null, \`detail\` text null, \`message\` text null, \`error\` text null, \`result\` json null, \`reconciliation\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`operations_state_index\` on \`operations\` (\`state\`);`);
    this.addSql(`create index \`operations_instance_id_created_at_index\` on \`operations\` (\`instance_id\`, \`created_at\`);`);
  }

}
