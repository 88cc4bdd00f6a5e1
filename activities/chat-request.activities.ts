import type { ChatRequestActivities, DeliveryActivities } from '../workflows/chat-request.contract.js';
import type { TaskChanges } from '../libs/chat-requests/task-changes.service.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type TaskChangesUnitOfWork = <T>(work: (service: TaskChanges) => Promise<T>) => Promise<T>;

/** Thin adapters from Temporal to the task changes service. */
export function createChatRequestActivities(inUnitOfWork: TaskChangesUnitOfWork): Omit<ChatRequestActivities, keyof DeliveryActivities> {
  return {
    recordTaskChange: (change) => inUnitOfWork((service) => service.record(change)),
  };
}
