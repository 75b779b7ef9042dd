/**
 * View types of the Promotion pages, from the promotion router's outputs and inputs as the browser sees them (dates
 * as ISO strings). Types only: nothing from server/ is bundled.
 */
import type { inferRouterInputs } from '@trpc/server';
import type { AppRouter } from '@/server/trpc/root';
import type { Outputs } from '@/components/charts/types';

type Out = Outputs['promotion'];
type In = inferRouterInputs<AppRouter>['promotion'];

export type PromotionState = Out['state'];
export type Snapshot = PromotionState['snapshot'];
export type VersionCard = PromotionState['versions'][number];
export type SplitEntry = Snapshot['split'][number];
export type Policy = Snapshot['policy'];
export type CanaryConfig = NonNullable<Policy['canary']>;
export type CanaryState = NonNullable<Snapshot['canary']>;
export type CheckResult = CanaryState['evaluations'][number]['checks'][number];
export type HistoryRow = Out['history'][number];
export type ShadowSummary = Out['shadow'];
export type ShadowPair = ShadowSummary['pairs'][number];
export type CanaryCheckDef = Out['canaryChecks'][number];
export type OverviewRow = Out['overview'][number];
export type ChangeResult = Out['setSplit'];

/** What `setPolicy` takes (defaults filled in by the server). */
export type PolicyInput = In['setPolicy']['policy'];
export type CanaryConfigInput = NonNullable<In['canary']['start']['config']>;

export const CHAMPION = 'champion';
export const POLICY_MODES = ['none', 'shadow', 'fixed', 'canary'] as const satisfies readonly Policy['mode'][];

/** A canary that still owns the split (running or paused). */
export const canaryActive = (c: Snapshot['canary']): c is CanaryState => !!c && (c.status === 'running' || c.status === 'paused');

/** Versions that may get traffic: candidates that are not the shadow. */
export const servable = (v: VersionCard) => v.status === 'candidate' && !v.shadow;

export const modelHref = (model: string) => `/promotion/${encodeURIComponent(model)}`;
export const versionHref = (model: string, version: number) => `/models/${encodeURIComponent(model)}/v${version}`;
