/** Benchmarks (not tests), each runnable as `npm run bench:<name>` and printing one line with its figure. */
export {};
