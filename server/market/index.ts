/** Market data: the first pipeline stages (candles → features → labels → samples → purged split). */
export * from './types';
export * from './timeframe';
export * from './hash';
export * from './indicators';
export * from './transform';
export * from './scaler';
export * from './labels';
export * from './splits';
export * from './samples';
export * from './store';
export * from './import';
export * from './demo';
export * from './feature-table';
export { readCandles, openSource, type CandleSource } from './parse/source';
export { parseCandles, type ParseSummary, type RowError, type CandleBatch } from './parse/parse-candles';
export { CANDLE_FORMATS, ColumnMappingSchema, FormatOptionSchema, parseMappingSpec, type CandleFormat, type ColumnMapping, type FormatOption } from './parse/formats';
export { datasetChart, ZChartRequest, type ChartData, type ChartPoint, type ChartRequest } from './chart';
