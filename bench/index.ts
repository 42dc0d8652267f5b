/**
 * Benchmarks (not tests). Each is a script here, run as `npm run bench:<name>`, and prints one line with its
 * figures. Available: `store` (store-bench.ts), `flow-install`,
 * `onboard`, `placement`, `chains`, `ns-instantiate`.
 */
export {};
