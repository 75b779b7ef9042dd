import Link from 'next/link';
import { compareHref } from './types';
import styles from './Compare.module.css';

/** A version offered in a "compare with…" list: `model@vN` and how it reads. */
export interface VersionOption {
  value: string;
  label: string;
}

/** A labelled select of versions named `v` (what /compare reads). */
function VersionSelect({ label, options }: { label: string; options: VersionOption[] }) {
  return (
    <label className={`${styles.inline} ${styles.pick}`}>
      {label}
      <select name="v" defaultValue={options[0].value}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * "Compare with…" on a version page: a plain GET form to /compare carrying this version and the one picked (works
 * before the page's scripts load).
 */
export function CompareWithForm({ current, options }: { current: string; options: VersionOption[] }) {
  if (!options.length) return <span className="muted small">No other version to compare with yet.</span>;
  return (
    <form action="/compare" method="get" className={styles.compareWith} data-testid="compare-with">
      <input type="hidden" name="v" value={current} />
      <VersionSelect label="Compare with…" options={options} />
      <button type="submit">Compare</button>
    </form>
  );
}

/** The picked versions on the Compare page: remove one (while two stay), add one (up to four). */
export function CompareSelection({ selected, options, max = 4 }: { selected: { ref: string; name: string; color: string }[]; options: VersionOption[]; max?: number }) {
  const refs = selected.map((s) => s.ref);
  const addable = options.filter((o) => !refs.includes(o.value));
  return (
    <div className={styles.selection} data-testid="compare-selection">
      <ul className={styles.chips} aria-label="Compared versions">
        {selected.map((s) => (
          <li key={s.ref} className={styles.chip}>
            <span className={styles.swatch} style={{ background: s.color }} aria-hidden />
            {s.name}
            {selected.length > 2 ? (
              <Link href={compareHref(refs.filter((r) => r !== s.ref))} aria-label={`Remove ${s.name} from the comparison`} className={styles.remove}>
                remove
              </Link>
            ) : null}
          </li>
        ))}
      </ul>
      {selected.length < max && addable.length ? (
        <form action="/compare" method="get" className={styles.compareWith}>
          {refs.map((r) => (
            <input key={r} type="hidden" name="v" value={r} />
          ))}
          <VersionSelect label="Add" options={addable} />
          <button type="submit">Add to comparison</button>
        </form>
      ) : null}
    </div>
  );
}
