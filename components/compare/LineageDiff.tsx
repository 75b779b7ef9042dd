'use client';
import { Fragment, useState } from 'react';
import { VERSION_COLORS, type ComparedVersion, type DiffRow } from './types';
import styles from './Compare.module.css';

const GROUPS: { id: DiffRow['group']; title: string }[] = [
  { id: 'parameters', title: 'Training parameters' },
  { id: 'data', title: 'Data and samples' },
  { id: 'training', title: 'Training outcome' },
  { id: 'code', title: 'Code and runtime' },
];

/** Parameters and lineage as a diff: one row per fact, one column per version, rows that differ marked (≠) and shaded. */
export function LineageDiff({ versions, rows }: { versions: ComparedVersion[]; rows: DiffRow[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const differing = rows.filter((r) => r.differs).length;
  return (
    <div data-testid="lineage-diff">
      <div className="chart-controls">
        <span className="muted small">
          {differing} of {rows.length} facts differ
        </span>
        <label className={styles.inline}>
          <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> only what differs
        </label>
      </div>
      <div className="table-wrap" role="region" aria-label="Parameters and lineage of the compared versions" tabIndex={0}>
        <table className={`${styles.table} ${styles.diff}`}>
          <thead>
            <tr>
              <th scope="col" className={styles.mark}>
                <span className={styles.srOnly}>differs</span>
              </th>
              <th scope="col">Fact</th>
              {versions.map((v, i) => (
                <th key={v.id} scope="col">
                  <span className={styles.swatch} style={{ background: VERSION_COLORS[i] }} aria-hidden />
                  {v.key} · {v.model} {v.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {GROUPS.map((g) => {
              const rs = rows.filter((r) => r.group === g.id && (!onlyDiff || r.differs));
              if (!rs.length) return null;
              return (
                <Fragment key={g.id}>
                  <tr className={styles.groupRow}>
                    <th scope="colgroup" colSpan={versions.length + 2}>
                      {g.title}
                    </th>
                  </tr>
                  {rs.map((r) => (
                    <tr key={r.key} className={r.differs ? styles.differs : undefined} data-differs={r.differs ? 'yes' : 'no'} data-key={r.key}>
                      <td className={styles.mark}>
                        {r.differs ? (
                          <>
                            <span aria-hidden>≠</span>
                            <span className={styles.srOnly}>differs</span>
                          </>
                        ) : null}
                      </td>
                      <th scope="row" className="mono">
                        {r.key}
                      </th>
                      {r.values.map((v, i) => (
                        <td key={versions[i].id} className={styles.value}>
                          {v ?? <span className="muted">—</span>}
                        </td>
                      ))}
                    </tr>
                  ))}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
