import { describe, it, expect } from 'vitest';
import { parseConfig, ConfigError } from './config';
import { engineOptionsFromEnv } from './serving/engine';

describe('environment', () => {
  it('every variable is parsed in one place; a bad value names the variable instead of falling back silently', () => {
    for (const [name, value] of [
      ['SERVING_CACHE_TTL_SECONDS', 'sixty'],
      ['SERVING_MAX_BATCH', '0'],
      ['SERVING_STRICT', 'yes'],
      ['INFERENCE_PORT', '70000'],
      ['STALE_RUN_SECONDS', '-1'],
      ['TF_BACKEND', 'gpu'],
      ['SIGNALOPS_LSTM_IMPL', 'fast'],
      ['SIGNALOPS_COMMIT', 'not a hash'],
    ]) {
      expect(() => parseConfig({ [name]: value }), name).toThrow(ConfigError);
      expect(() => parseConfig({ [name]: value }), name).toThrow(new RegExp(`${name}:`));
    }
    // The serving engine's options come from the same parse (they used to default silently on a bad value).
    expect(() => engineOptionsFromEnv({ SERVING_CACHE_TTL_SECONDS: 'sixty' })).toThrow(/SERVING_CACHE_TTL_SECONDS/);
    expect(engineOptionsFromEnv({ SERVING_CACHE_TTL_SECONDS: '5', SERVING_STRICT: 'true' })).toMatchObject({ cacheTtlMs: 5000, strict: true, maxBatch: 256 });
  });
});
