import { CAMPAIGN_WORKFLOW, workflowIdForCampaign, type CampaignInput } from '../../workflows/campaign.contract.js';
import { CAMPAIGN_ID, ORGANIZATION_ID } from '../temporal/search-attributes.js';
import type { WorkflowStart } from '../temporal/workflow-gateway.js';

/** The start of a campaign's workflow, on the campaigns' own task queue. */
export function campaignWorkflowStart(campaign: { id: string; organizationId: string; deliverAt: Date }): WorkflowStart {
  const input: CampaignInput = { campaignId: campaign.id, deliverAt: campaign.deliverAt.getTime() };
  return {
    workflowType: CAMPAIGN_WORKFLOW,
    workflowId: workflowIdForCampaign(campaign.id),
    args: [input],
    searchAttributes: { [ORGANIZATION_ID.name]: campaign.organizationId, [CAMPAIGN_ID.name]: campaign.id },
    queue: 'campaigns',
  };
}
