/**
 * View types of the Drift pages, from the drift and outcomes routers' outputs and inputs as the browser receives them
 * (dates as ISO strings). Types only: nothing from server/ is bundled.
 */
import type { inferRouterInputs } from '@trpc/server';
import type { AppRouter } from '@/server/trpc/root';
import type { Outputs } from '@/components/charts/types';

type In = inferRouterInputs<AppRouter>;

export type ReportListRow = Outputs['drift']['reports'][number];
export type ReportRow = Outputs['drift']['report'];
export type ReportBody = ReportRow['body'];
export type IndicatorResult = ReportBody['indicators'][number];
export type ReportWindow = ReportBody['window'];
export type PredictionPart = ReportBody['prediction'];
export type AccuracyPart = ReportBody['accuracy'];
export type Retraining = NonNullable<ReportBody['retraining']>;
export type RunResult = Outputs['drift']['run'];
export type DriftPolicy = Outputs['drift']['policy'];
export type RetrainOn = DriftPolicy['retrain']['on'];
export type PolicyInput = In['drift']['setPolicy']['policy'];
export type RunInput = In['drift']['run'];

export type LivePerformance = Outputs['outcomes']['live'];
export type LiveVersion = LivePerformance['versions'][number];
export type LiveDay = LiveVersion['daily'][number];
export type AbResult = Outputs['outcomes']['ab'];
export type AbLook = AbResult['looks'][number];
export type AbMetric = AbResult['metric'];

export type ReportStatus = 'ok' | 'drift' | 'insufficient_data';

export const RETRAIN_OPTIONS: { value: RetrainOn; label: string }[] = [
  { value: 'off', label: 'off' },
  { value: 'dataset_drift', label: 'on dataset drift' },
  { value: 'accuracy_drift', label: 'on live-accuracy drift' },
  { value: 'any', label: 'on either' },
];

/** A version of the model as the Drift page lists it (for pickers). */
export interface VersionChoice {
  version: number;
  modelType: string;
  dataset: string | null;
  champion: boolean;
}

export const driftHref = (model: string, report?: number) => `/drift/${encodeURIComponent(model)}${report ? `?report=${report}` : ''}`;
