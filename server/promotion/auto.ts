/**
 * Outcome-gated promotion: a model whose policy enables `autoPromote` gets a challenger (a version with traffic that
 * is not the champion) promoted to champion with 100 % once it is significantly better on live outcomes — the
 * always-valid test, so checking after every outcome job does not inflate false positives. Recorded as automatic.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { outcomeAb } from '../outcomes/live';
import { listSplits } from './traffic';
import { loadModel, changeModel } from './store';
import { canaryActive, champion, withPromotion } from './state';

export async function autoPromoteTick(db: Db, log: Logger): Promise<{ model: string; version: number; verdict: string }[]> {
  const out: { model: string; version: number; verdict: string }[] = [];
  for (const model of Object.keys(await listSplits(db))) {
    const m = await loadModel(db, model);
    const p = m.snapshot.policy.autoPromote;
    const champ = champion(m.snapshot);
    if (!p?.enabled || !champ || canaryActive(m.snapshot)) continue;
    for (const e of m.snapshot.split) {
      if (e.versionId === champ.versionId) continue;
      const ab = await outcomeAb(db, { model, a: champ.version, b: e.version, metric: p.metric, alpha: p.alpha });
      if (!ab.significant || !(ab.difference! > 0)) continue;
      const v = m.byId.get(e.versionId)!;
      await changeModel(
        db,
        model,
        { actor: 'auto-promote', action: 'promote', revision: m.revision, automatic: { rule: 'auto_promote', message: ab.verdict, figures: { metric: ab.metric, difference: ab.difference, pValue: ab.pValue, nA: ab.nA, nB: ab.nB, alpha: ab.alpha } } },
        (cur) => withPromotion(cur.snapshot, model, v, 100),
      );
      log.info({ model, version: e.version, pValue: ab.pValue }, `auto-promoted: ${ab.verdict}`);
      out.push({ model, version: e.version, verdict: ab.verdict });
      break; // one promotion per model per tick
    }
  }
  return out;
}
