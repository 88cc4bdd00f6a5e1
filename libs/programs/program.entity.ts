import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/** A digital program members enrol in (e.g. Diabetes Care), each member with a care manager of their own. */
@Entity({ tableName: 'program' })
@Index({
  name: 'program_organization_id_name_unique',
  expression: 'create unique index "program_organization_id_name_unique" on "program" ("organization_id", lower("name"))',
})
export class Program {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  name: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** A member in a program, and the care manager (staff or admin) who looks after them in it. */
@Entity({ tableName: 'enrollment' })
@Unique({ name: 'enrollment_program_id_member_id_unique', properties: ['program', 'member'] })
@Index({ properties: ['member'] })
@Index({ properties: ['careManager'] })
export class Enrollment {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => Program, { fieldName: 'program_id', deleteRule: 'cascade' })
  program: Program;

  @ManyToOne(() => User, { fieldName: 'member_id', deleteRule: 'cascade' })
  member: User;

  @ManyToOne(() => User, { fieldName: 'care_manager_id' })
  careManager: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
