/**
 * View types of the Compare page, derived from the router's outputs as the browser receives them (types only).
 */
import type { Outputs } from '@/components/charts/types';

export type Comparison = Outputs['registry']['compare'];
export type ComparedVersion = Comparison['versions'][number];
export type ComparedPair = Comparison['pairs'][number];
export type DiffRow = Comparison['diff'][number];
export type ParamsScatterData = Outputs['registry']['paramsScatter'];

/** One colour per compared version (A–D), each ≥ 4.5:1 on white so legend text stays readable. */
export const VERSION_COLORS = ['#2a62d6', '#c2410c', '#0f7554', '#7c3aed'] as const;

/** `A · cmp v1`: how a version is named in legends and column heads. */
export const seriesName = (v: Pick<ComparedVersion, 'key' | 'model' | 'label'>) => `${v.key} · ${v.model} ${v.label}`;

/** `model@v3`: a version in the Compare page's URL (`/compare?v=…&v=…`). */
export const refParam = (model: string, label: string) => `${model}@${label}`;
export const compareHref = (refs: string[]) => `/compare?${refs.map((r) => `v=${encodeURIComponent(r)}`).join('&')}`;
