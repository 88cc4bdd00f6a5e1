import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { NavLink, useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { download } from '../api/download';
import { BUSY_POLL_MS, LIVE_POLL_MS } from '../api/live';
import { Badge, Button, Card, Empty, ErrorAlert, layoutStyles, Loading, PageHeader, Progress, ShowMore } from '../ui';
import { formatDateTime } from '../ui/time';
import { CHANNEL_LABELS, type Channel } from '../staff/types';
import styles from './admin.module.css';
import { CampaignForm } from './CampaignForm';

interface ChannelProgress {
  pending: number;
  sent: number;
  failed: number;
  skipped: number;
  deferred: number;
  resent: number;
}

interface Campaign {
  id: string;
  name: string;
  status: 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
  title: string;
  deliverAt: string;
  startedAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  recipients: number | null;
  skipped: number | null;
  workflowId: string;
  channels: Partial<Record<Channel, ChannelProgress>> | Channel[];
  fallbackSends?: Partial<Record<'sms' | 'email', ChannelProgress>>;
}

const TONE = { scheduled: 'info', running: 'info', paused: 'warn', completed: 'ok', cancelled: 'warn' } as const;

/** Done means nothing more will happen to it: sent, failed for good, or skipped. */
const doneOf = (p: ChannelProgress) => p.sent + p.failed + p.skipped;
const totalOf = (p: ChannelProgress) => p.pending + p.deferred + doneOf(p);

function ChannelBar({ label, progress }: { label: string; progress: ChannelProgress }) {
  const total = totalOf(progress);
  const fraction = total === 0 ? 0 : doneOf(progress) / total;
  return (
    <div className={styles.channel}>
      <div className={styles.channelHead}>
        <strong>{label}</strong>
        <span data-testid={`progress-${label}`}>{Math.floor(fraction * 100)} %</span>
      </div>
      <Progress value={fraction} label={`${label} progress`} />
      <div className={styles.numbers}>
        {progress.sent} sent · {progress.failed} failed · {progress.skipped} skipped · {progress.pending} pending
        {progress.deferred > 0 && ` · ${progress.deferred} held for quiet hours`}
        {progress.resent > 0 && ` · ${progress.resent} sent twice after a worker crash`}
      </div>
    </div>
  );
}

function CampaignDetail({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const campaign = useQuery({
    queryKey: ['campaigns', id],
    queryFn: () => api.get<Campaign>(`/v1/campaigns/${id}`),
    // Moving campaigns are watched closely; finished ones rarely change.
    refetchInterval: (q) => (q.state.data && ['running', 'scheduled'].includes(q.state.data.status) ? BUSY_POLL_MS : LIVE_POLL_MS),
  });
  const act = useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'cancel') => api.post(`/v1/campaigns/${id}/${action}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['campaigns'] }),
  });
  const [downloadError, setDownloadError] = useState<unknown>(null);
  if (campaign.isPending) return <Loading />;
  if (campaign.error) return <ErrorAlert error={campaign.error} />;
  const c = campaign.data;
  const channels = Array.isArray(c.channels) ? {} : c.channels;
  return (
    <Card aria-labelledby="campaign-name">
      <h2 id="campaign-name">
        {c.name} <Badge tone={TONE[c.status]}>{c.status}</Badge>
      </h2>
      <p className={styles.meta}>
        “{c.title}” · delivers {formatDateTime(c.deliverAt)}
        {c.recipients !== null && ` · ${c.recipients} recipients`}
        {c.skipped ? ` · ${c.skipped} skipped` : ''}
        {c.completedAt && ` · completed ${formatDateTime(c.completedAt)}`}
      </p>
      <ErrorAlert error={act.error ?? downloadError} />
      <div className={styles.actions}>
        {(c.status === 'scheduled' || c.status === 'running') && (
          <Button variant="secondary" onClick={() => act.mutate('pause')} disabled={act.isPending}>
            Pause
          </Button>
        )}
        {c.status === 'paused' && (
          <Button onClick={() => act.mutate('resume')} disabled={act.isPending}>
            Resume
          </Button>
        )}
        {(c.status === 'scheduled' || c.status === 'running' || c.status === 'paused') && (
          <Button
            variant="danger"
            onClick={() => window.confirm(`Cancel “${c.name}”? Messages not yet sent will not go.`) && act.mutate('cancel')}
            disabled={act.isPending}
          >
            Cancel
          </Button>
        )}
        <Button
          variant="secondary"
          onClick={() => void download(`/v1/campaigns/${id}/recipients.csv?status=failed`, `${c.name}-failed.csv`).catch(setDownloadError)}
        >
          Download failed recipients
        </Button>
      </div>
      {c.recipients === null ? (
        <p>The audience is counted at the delivery time.</p>
      ) : (
        (Object.entries(channels) as Array<[Channel, ChannelProgress]>).map(([channel, progress]) => (
          <ChannelBar key={channel} label={CHANNEL_LABELS[channel]} progress={progress} />
        ))
      )}
      {c.fallbackSends?.sms && totalOf(c.fallbackSends.sms) > 0 && <ChannelBar label="SMS fallback" progress={c.fallbackSends.sms} />}
    </Card>
  );
}

/** Campaigns: the list, one campaign's live progress per channel with pause, resume and cancel, and a new one. */
export default function CampaignsPage() {
  const { campaignId } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const campaigns = useInfiniteQuery({
    queryKey: ['campaigns', 'list'],
    queryFn: ({ pageParam }) => api.get<{ items: Campaign[]; nextCursor: string | null }>(`/v1/campaigns${pageParam ? `?cursor=${pageParam}` : ''}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: LIVE_POLL_MS,
  });
  const items = campaigns.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title="Campaigns">
        <Button onClick={() => setCreating(true)}>New campaign</Button>
      </PageHeader>
      <div className={layoutStyles.split}>
        <div>
          <ErrorAlert error={campaigns.error} />
          {campaigns.isPending ? (
            <Loading />
          ) : items.length === 0 ? (
            <Empty>No campaigns yet.</Empty>
          ) : (
            <nav aria-label="Campaigns">
              <ul className={styles.list}>
                {items.map((campaign) => (
                  <li key={campaign.id}>
                    <NavLink to={`/campaigns/${campaign.id}`} className={styles.item}>
                      <span>
                        <strong>{campaign.name}</strong>
                        <br />
                        <span className={styles.meta}>{formatDateTime(campaign.deliverAt)}</span>
                      </span>
                      <Badge tone={TONE[campaign.status]}>{campaign.status}</Badge>
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <ShowMore list={campaigns} />
        </div>
        <div>{campaignId ? <CampaignDetail id={campaignId} /> : <Empty>Choose a campaign to follow it.</Empty>}</div>
      </div>
      {creating && (
        <CampaignForm
          open={creating}
          onClose={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
            void navigate(`/campaigns/${id}`);
          }}
        />
      )}
    </>
  );
}
