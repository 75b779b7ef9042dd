/**
 * View types of the Metrics page, from the monitoring router's outputs as the browser receives them (dates as ISO
 * strings). Types only: nothing from server/ is bundled.
 */
import type { Outputs } from '../types';

export type MetricsSeries = Outputs['monitoring']['series'];
export type SeriesPoint = MetricsSeries['points'][number];
export type ShareModel = MetricsSeries['share'][number];
export type ProcessTable = Outputs['monitoring']['processes'];
export type ProcessRow = ProcessTable['processes'][number];
export type PipelinePanel = Outputs['monitoring']['pipeline'];
export type RangeName = MetricsSeries['range'];

export const RANGE_OPTIONS: { value: RangeName; label: string; pollMs: number }[] = [
  { value: '15m', label: '15 min', pollMs: 5_000 },
  { value: '1h', label: '1 h', pollMs: 5_000 },
  { value: '24h', label: '24 h', pollMs: 30_000 },
  { value: '7d', label: '7 d', pollMs: 60_000 },
];
export const rangeLabel = (r: RangeName) => RANGE_OPTIONS.find((o) => o.value === r)?.label ?? r;
export const pollMs = (r: RangeName) => RANGE_OPTIONS.find((o) => o.value === r)?.pollMs ?? 30_000;
export const isRange = (v: unknown): v is RangeName => RANGE_OPTIONS.some((o) => o.value === v);

/** Series colours (≥ 3:1 against white for lines and areas); a version keeps its colour across charts. */
export const SERIES_COLORS = ['#2a62d6', '#e8590c', '#0f7554', '#7c3aed', '#c0362c', '#0e7490', '#a16207', '#be185d', '#475569', '#4d7c0f'];
export const colorOf = (keys: readonly string[], key: string) => SERIES_COLORS[Math.max(0, keys.indexOf(key)) % SERIES_COLORS.length];
