/** The counts one roll-up row holds (per interval, process and model version); they add up across rows. */
import { BATCH_BUCKETS, CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, addInto, emptyHist } from './histogram';

export interface Counts {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  cacheHits: number;
  cacheMisses: number;
  imputed: number;
  /** Confidence < 50 % (what today's dashboard called its "error rate"). */
  lowConfidence: number;
  latencySumMs: number;
  latencyHist: number[];
  batchHist: number[];
  confidenceHist: number[];
  /** [SELL, HOLD, BUY] */
  classes: number[];
}

export const emptyCounts = (): Counts => ({
  requests: 0,
  errors4xx: 0,
  errors5xx: 0,
  cacheHits: 0,
  cacheMisses: 0,
  imputed: 0,
  lowConfidence: 0,
  latencySumMs: 0,
  latencyHist: emptyHist(LATENCY_BUCKETS_MS),
  batchHist: emptyHist(BATCH_BUCKETS),
  confidenceHist: new Array<number>(CONFIDENCE_BUCKETS).fill(0),
  classes: [0, 0, 0],
});

/** Adds b into a, returns a. */
export function addCounts(a: Counts, b: Counts): Counts {
  a.requests += b.requests;
  a.errors4xx += b.errors4xx;
  a.errors5xx += b.errors5xx;
  a.cacheHits += b.cacheHits;
  a.cacheMisses += b.cacheMisses;
  a.imputed += b.imputed;
  a.lowConfidence += b.lowConfidence;
  a.latencySumMs += b.latencySumMs;
  addInto(a.latencyHist, b.latencyHist);
  addInto(a.batchHist, b.batchHist);
  addInto(a.confidenceHist, b.confidenceHist);
  addInto(a.classes, b.classes);
  return a;
}
