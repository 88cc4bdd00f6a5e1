import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Module, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditModule } from '../../libs/audit/audit.module.js';
import { APP_CONFIG, loadConfig } from '../../libs/config/app-config.js';
import { migrate } from '../../libs/database/migrate.js';
import { ormConfig } from '../../libs/database/orm-config.js';
import { ADMIN_DATABASE_URL, adminQuery } from './platform.js';

/** What the app's root module gives every feature module: the database and the configuration. */
@Module({})
class TestInfrastructure {}

/**
 * A fresh, migrated PostgreSQL database of its own, with the project's MikroORM on it: for specs that test
 * a feature's classes against the real database, without the API and worker processes or Temporal.
 * Create it in beforeAll, drop it in afterAll.
 */
export class TestDatabase {
  readonly name = `tidings_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  readonly url = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${this.name}`);
  orm!: MikroORM;
  private readonly modules: TestingModule[] = [];

  static async create(): Promise<TestDatabase> {
    const database = new TestDatabase();
    await adminQuery(`create database "${database.name}"`);
    await migrate(database.url);
    database.orm = await MikroORM.init(ormConfig(database.url, { poolMax: 2 }));
    return database;
  }

  /** The global EntityManager, as Nest injects it; `request` gives each call a fork of its own. */
  get em(): EntityManager {
    return this.orm.em;
  }

  /** Runs `work` as the API runs one request: in a fresh EntityManager fork (MikroORM's request context). */
  request<T>(work: () => Promise<T>): Promise<T> {
    return RequestContext.create(this.orm.em, work);
  }

  /** Raw SQL with `?` placeholders, outside any request: seeding rows and reading what a call wrote. */
  query<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.orm.em.fork().execute<T[]>(sql, params);
  }

  /**
   * `feature` as Nest builds it, with its real providers on this database: get a use case from it with
   * `.get(UseCase)`. The configuration is the development defaults (attachments under the temp directory).
   */
  async module(feature: Type): Promise<TestingModule> {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: this.url, ATTACHMENTS_DIR: path.join(os.tmpdir(), `${this.name}-attachments`) });
    const infrastructure = {
      module: TestInfrastructure,
      global: true,
      providers: [
        { provide: EntityManager, useValue: this.orm.em },
        { provide: APP_CONFIG, useValue: config },
      ],
      exports: [EntityManager, APP_CONFIG],
    };
    const built = await Test.createTestingModule({ imports: [infrastructure, AuditModule, feature] }).compile();
    this.modules.push(built);
    return built;
  }

  async drop(): Promise<void> {
    await Promise.all(this.modules.map((built) => built.close()));
    await this.orm?.close(true);
    await adminQuery(`drop database if exists "${this.name}" with (force)`);
  }
}
