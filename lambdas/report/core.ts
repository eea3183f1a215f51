import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Deps } from '../shared/deps';
import { logger } from '../shared/logger';
import type { RotationState } from '../shared/types';
import { METRICS } from '../shared/metrics';

export interface ReportDeps extends Deps {
  readonly metrics: Metrics;
}

const seconds = (from?: string, to?: string): number | undefined =>
  from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : undefined;

/** Step 9: the rotation's completion event and metrics, with its timings. */
export async function report(state: RotationState, deps: ReportDeps): Promise<RotationState> {
  const completedAt = deps.clock.now().toISOString();
  const timings = {
    stagedToPromotedSeconds: seconds(state.newKey?.stagedAt, state.promotedAt),
    cutoverSeconds: seconds(state.promotedAt, state.deactivatedAt),
    recoveryWindowSeconds: seconds(state.deactivatedAt, state.deletedAt),
    totalSeconds: seconds(state.startedAt, completedAt),
  };
  logger.info('Rotation Completed', { userName: state.userName, ...timings });
  await deps.telemetry.emit('Rotation Completed', {
    userName: state.userName,
    executionArn: state.executionArn,
    oldKeyId: state.oldKey?.accessKeyId,
    newKeyId: state.newKey?.accessKeyId,
    cutoverVerdict: state.cutover?.verdict,
    polls: state.cutover?.polls,
    startedAt: state.startedAt,
    promotedAt: state.promotedAt,
    deactivatedAt: state.deactivatedAt,
    deletedAt: state.deletedAt,
    ...timings,
    at: completedAt,
  });
  deps.metrics.addMetric(METRICS.rotationsSucceeded, MetricUnit.Count, 1);
  if (timings.cutoverSeconds !== undefined) {
    deps.metrics.addMetric(METRICS.cutoverSeconds, MetricUnit.Seconds, timings.cutoverSeconds);
  }
  if (timings.totalSeconds !== undefined) {
    deps.metrics.addMetric(METRICS.rotationSeconds, MetricUnit.Seconds, timings.totalSeconds);
  }
  deps.metrics.publishStoredMetrics();
  return { ...state, completedAt };
}
