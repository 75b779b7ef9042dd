import type { VersionChoice } from './types';

/** The options of a version picker: "v2 (logreg) · champion", newest first as given. */
export function VersionOptions({ versions, champion }: { versions: Pick<VersionChoice, 'version' | 'modelType'>[]; champion: number | null }) {
  return (
    <>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          v{v.version} ({v.modelType}){v.version === champion ? ' · champion' : ''}
        </option>
      ))}
    </>
  );
}
