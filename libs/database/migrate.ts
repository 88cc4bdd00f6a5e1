import { MikroORM } from '@mikro-orm/postgresql';
import { DEFAULT_DATABASE_URL } from '../config/app-config.js';
import { ormConfig } from './orm-config.js';

/** Brings the database named by DATABASE_URL up to the latest schema. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(ormConfig(databaseUrl, { poolMax: 2 }));
  try {
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

if (require.main === module) {
  // Only the database is needed here: not the API's secrets, which a migration job need not be given.
  migrate(process.env.DATABASE_URL || DEFAULT_DATABASE_URL)
    .then((applied) => console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'database is up to date'))
    .catch((error) => {
      console.error(`migration failed: ${error.message}`);
      process.exit(1);
    });
}
