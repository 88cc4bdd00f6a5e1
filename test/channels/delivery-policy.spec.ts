import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { PROVIDER_ACTIVITY_OPTIONS, PROVIDER_REQUEST_TIMEOUT_MS, failureReason } from '../../workflows/delivery-policy.js';

describe('delivery policy', () => {
  it('gives a provider send activity more time than the provider request it wraps', () => {
    expect(PROVIDER_ACTIVITY_OPTIONS.startToCloseTimeout).toBe(PROVIDER_REQUEST_TIMEOUT_MS + 30_000);
    expect(PROVIDER_ACTIVITY_OPTIONS.retry?.nonRetryableErrorTypes).toEqual(['PermanentDeliveryError']);
  });

  it("reports an activity's failure by the activity's own message, on one line", () => {
    const cause = ApplicationFailure.create({ message: 'SendGrid refused the email:\n  Does not contain a valid address.', type: 'PermanentDeliveryError' });
    const failure = new ActivityFailure('Activity task failed', 'sendEmail', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker@host', cause);
    expect(failureReason(failure)).toBe('SendGrid refused the email: Does not contain a valid address.');
  });

  it('reports anything else as its text', () => {
    expect(failureReason(new Error('boom'))).toBe('Error: boom');
    expect(failureReason('plain')).toBe('plain');
  });
});
