import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Conversation } from '../conversations/conversation.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { Program } from '../programs/program.entity.js';
import { User } from '../users/user.entity.js';
import { ChatRequestReason } from './chat-request-reason.entity.js';

export const TASK_STATUSES = ['open', 'closed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A member's chat request and the care-manager task it is. The request's workflow (`chat-request-<id>`)
 * decides every change; this row mirrors its state for the queue queries, written by the workflow's
 * activities in order (`mirrorVersion`), and by the API only when it creates the request.
 */
@Entity({ tableName: 'chat_request' })
@Index({
  name: 'chat_request_queue_index',
  expression: `create index "chat_request_queue_index" on "chat_request" ("assignee_id", "due_at", "id") where "status" = 'open'`,
})
@Index({
  name: 'chat_request_escalated_index',
  expression: `create index "chat_request_escalated_index" on "chat_request" ("organization_id", "due_at", "id") where "status" = 'open' and "escalated_at" is not null`,
})
@Index({ properties: ['member', 'createdAt'] })
export class ChatRequest {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => Program, { fieldName: 'program_id' })
  program: Program;

  @ManyToOne(() => User, { fieldName: 'member_id', deleteRule: 'cascade' })
  member: User;

  @ManyToOne(() => ChatRequestReason, { fieldName: 'reason_id', nullable: true, deleteRule: 'set null' })
  reason: ChatRequestReason | null;

  /** The reason's label when it was chosen: renaming or retiring the reason later does not change the request. */
  @Property({ type: 'text' })
  reasonLabel: string;

  @Property({ type: 'text' })
  comment: string;

  @Enum({ items: () => TASK_STATUSES, type: 'text' })
  status: TaskStatus = 'open';

  /** The care manager of the member's enrolment: the task returns to them when a cover's period ends. */
  @ManyToOne(() => User, { fieldName: 'owner_id' })
  owner: User;

  @ManyToOne(() => User, { fieldName: 'assignee_id' })
  assignee: User;

  /** The assignee is covering for the owner, who is away. */
  @Property({ type: 'boolean', default: false })
  covering: boolean = false;

  @ManyToOne(() => User, { fieldName: 'claimed_by_id', nullable: true })
  claimedBy: User | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  claimedAt: Date | null = null;

  /** The chat between the member and the assignee for this program. */
  @ManyToOne(() => Conversation, { fieldName: 'chat_id' })
  chat: Conversation;

  /** When the first response is due (the SLA clock, in business hours where the organisation sets them). */
  @Property({ type: 'timestamptz' })
  dueAt: Date;

  @Property({ type: 'timestamptz', nullable: true })
  escalateAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  firstResponseAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  breachedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  escalatedAt: Date | null = null;

  /** What the care manager wrote when closing it. */
  @Property({ type: 'text', nullable: true })
  outcome: string | null = null;

  /** When it was closed or cancelled, and by whom. */
  @Property({ type: 'timestamptz', nullable: true })
  endedAt: Date | null = null;

  @ManyToOne(() => User, { fieldName: 'ended_by_id', nullable: true })
  endedBy: User | null = null;

  /** The workflow's count of state changes written here; an older write never overwrites a newer one. */
  @Property({ type: 'integer', default: 0 })
  mirrorVersion: number = 0;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** One step in a request's life, as its workflow recorded it: what the task's history shows, and what notifications are about. */
@Entity({ tableName: 'chat_request_event' })
@Index({ properties: ['chatRequest', 'createdAt'] })
export class ChatRequestEvent {
  /** Chosen by the workflow, so a retried activity writes the same event once. */
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @ManyToOne(() => ChatRequest, { fieldName: 'chat_request_id', deleteRule: 'cascade' })
  chatRequest: ChatRequest;

  @Property({ type: 'text' })
  kind: string;

  @ManyToOne(() => User, { fieldName: 'actor_id', nullable: true, deleteRule: 'set null' })
  actor: User | null = null;

  @Property({ type: 'json', default: '{}' })
  details: Record<string, unknown> = {};

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
