/**
 * Everything the reconcile workflow shares with the rest of Tidings: its name, the schedule that starts
 * it, its result, and the one activity it calls. The workflow imports nothing else of ours.
 */
export const RECONCILE_WORKFLOW = 'reconcile';
/** The Temporal Schedule that runs the reconciler; its runs are `tidings-reconciler-<timestamp>`. */
export const RECONCILER_SCHEDULE_ID = 'tidings-reconciler';

/** How many of each repair one run made (enqueued into the outbox, or recorded directly). */
export interface ReconcileSummary {
  /** Scheduled messages past due: their workflow woken, or started if it was missing. */
  overdueDeliveries: number;
  /** Message-center dismissals past due: their workflow woken. */
  overdueDismissals: number;
  /** Dismissals past due whose workflow had already ended: recorded in the database, as the workflow would have. */
  dismissalsRecorded: number;
  /** Reads a still-running workflow never heard of: signalled again. */
  unheardReads: number;
  /** Conversation messages whose workflow never started: started. */
  unstartedConversationMessages: number;
  /** Open chat requests whose workflow never started: started. */
  unstartedChatRequests: number;
  /** Past-due scheduled messages whose workflow has ended without delivering: nothing can repair them; logged. */
  unrepairable: number;
}

/** What the worker runs for this workflow (activities/reconcile.activities.ts). */
export interface ReconcileActivities {
  /** Finds what is out of step between the database and the workflows, and enqueues the repairs. */
  reconcileDeliveries(): Promise<ReconcileSummary>;
}
