// The section of docs/PERFORMANCE.md that npm run bench:cli writes and npm run bench keeps.
export const CLI_BENCH_START = '<!-- cli-bench:start (npm run bench:cli writes this section) -->';
export const CLI_BENCH_END = '<!-- cli-bench:end -->';
