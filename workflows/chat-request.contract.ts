import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryActivities, DeliveryTarget } from './delivery-policy.js';

export { ASSIGNEE_ID, CONVERSATION_ID, TASK_STATUS } from './search-attributes.js';
export { deliverAll, PROVIDER_ACTIVITY_OPTIONS, type DeliveryActivities, type DeliveryTarget } from './delivery-policy.js';

/**
 * Everything the chat-request workflow shares with the rest of Tidings: its name, id, input, updates,
 * signals, query and activities. The workflow imports nothing else of ours.
 */
export const CHAT_REQUEST_WORKFLOW = 'chatRequest';
export const workflowIdForChatRequest = (chatRequestId: string) => `chat-request-${chatRequestId}`;

/** A care manager's away period and who covers them; times in epoch milliseconds. */
export interface AwayPeriodNotice {
  id: string;
  userId: string;
  coveredById: string;
  startsAt: number;
  endsAt: number;
}

/** The period covering `at`, if any: where periods overlap, the one that started last. */
export function periodCovering(periods: readonly AwayPeriodNotice[], at: number): AwayPeriodNotice | null {
  let covering: AwayPeriodNotice | null = null;
  for (const period of periods) {
    if (period.startsAt <= at && at < period.endsAt && (!covering || period.startsAt >= covering.startsAt)) covering = period;
  }
  return covering;
}

export interface ChatRequestInput {
  chatRequestId: string;
  /** The care manager of the member's enrolment in the program. */
  ownerId: string;
  /** Who has the task as it starts: the owner, or whoever covers while the owner is away. */
  assigneeId: string;
  /** The owner's away periods that had not ended when the request was made. */
  ownerAwayPeriods: AwayPeriodNotice[];
  /** When the first response is due, and when a request still without one is escalated (epoch ms; business hours already counted). */
  dueAt: number;
  escalateAt: number;
}

export type TaskStatus = 'open' | 'closed' | 'cancelled';

/** The task as the workflow holds it; written to PostgreSQL (chat_request) after every change. */
export interface TaskState {
  status: TaskStatus;
  ownerId: string;
  assigneeId: string;
  /** The assignee covers for the owner, who is away. */
  covering: boolean;
  claimedById: string | null;
  claimedAt: number | null;
  /** Given to someone by hand (reassign): away periods no longer move it. */
  placedByHand: boolean;
  firstResponseAt: number | null;
  breachedAt: number | null;
  escalatedAt: number | null;
  outcome: string | null;
  endedAt: number | null;
  endedById: string | null;
  /** Counts the changes, so the mirror never takes an older state over a newer one. */
  version: number;
}

export const TASK_EVENT_KINDS = ['created', 'reassigned', 'claimed', 'reason_changed', 'responded', 'breached', 'escalated', 'closed', 'cancelled'] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

/** Why the assignee changed. */
export type ReassignedBecause = 'away_period_started' | 'away_period_ended' | 'reassigned' | 'claimed' | 'care_manager_changed';

/** One change to the task, with the state it leads to: what recordTaskChange mirrors, records and notifies about. */
export interface TaskChange {
  chatRequestId: string;
  /** Chosen by the workflow (uuid4), so a retried write records the event once. */
  eventId: string;
  kind: TaskEventKind;
  actorId: string | null;
  state: TaskState;
  details: {
    because?: ReassignedBecause;
    /** The away period an assignment follows from, for the member's "… is covering for … until …" message. */
    awayPeriod?: AwayPeriodNotice;
    reason?: { id: string; label: string };
    comment?: string;
  };
}

export interface RecordedTaskChange {
  /** The chat the task now points to: the member's with the assignee, in the program. */
  chatId: string;
  /** The notifications to send, already in the delivery ledger. */
  notify: DeliveryTarget[];
}

/** Why an update was refused: the task is not open any more. The API answers 409 with the current state. */
export const TASK_NOT_OPEN = 'TaskNotOpen';

export const changeReasonUpdate = defineUpdate<TaskState, [{ reason: { id: string; label: string }; comment?: string; byUserId: string }]>('changeReason');
export const cancelUpdate = defineUpdate<TaskState, [{ byUserId: string }]>('cancel');
export const claimUpdate = defineUpdate<TaskState, [{ byUserId: string }]>('claim');
export const reassignUpdate = defineUpdate<TaskState, [{ assigneeId: string; byUserId: string }]>('reassign');
export const closeUpdate = defineUpdate<TaskState, [{ outcome: string; byUserId: string }]>('close');

/** The care manager's first message in the chat (the API notices it as the message is stored). */
export const firstResponseSignal = defineSignal<[{ at: number; byUserId: string }]>('firstResponse');
/** An away period of the owner was set (or changed), or removed. */
export const awayPeriodSetSignal = defineSignal<[AwayPeriodNotice]>('awayPeriodSet');
export const awayPeriodRemovedSignal = defineSignal<[{ id: string }]>('awayPeriodRemoved');
/** The enrolment's care manager changed: the task moves to them (or to whoever covers them). */
export const careManagerChangedSignal = defineSignal<[{ ownerId: string; awayPeriods: AwayPeriodNotice[]; byUserId: string }]>('careManagerChanged');

export const taskStateQuery = defineQuery<TaskState>('taskState');

/** What the worker runs for this workflow (activities/chat-request.activities.ts, activities/delivery.activities.ts). */
export interface ChatRequestActivities extends DeliveryActivities {
  /** Mirrors the state, records the event, moves the chat with the assignee, and plans the notifications it calls for. */
  recordTaskChange(change: TaskChange): Promise<RecordedTaskChange>;
}
