/** `edgewatch backtest`: replaying a recorded series through one rule (reader, runner and plot). */
export { BacktestInputError, parseBacktestCsv, type BacktestRow, type BacktestSeries, type ReadOptions } from './backtest/reader.js';
export { backtestCsvHeader, formatBacktestCsv, runBacktest, type BacktestRun } from './backtest/runner.js';
export { renderPlot, type PlotOptions } from './backtest/plot.js';
export { parseTimestamp, UTC, zoneResolver, type ZoneResolver } from './backtest/timestamps.js';
