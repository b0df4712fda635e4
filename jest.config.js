/** ESM all the way: middy 6 and @kubernetes/client-node 1.x are ESM-only, so jest runs in
 * native ESM mode (NODE_OPTIONS=--experimental-vm-modules) and swc only strips types. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  // Jest gives a worker 500 ms to exit once its suites are done, then kills it and prints "A worker
  // process has failed to exit gracefully". No handle keeps ours alive: with 5 s they exit on
  // their own (a leaked timer or socket would still be killed, and warned about, after 5 s), but
  // a worker that ran the SQLite race suites or the bundling suite needs more than 500 ms to wind
  // down on a loaded machine.
  workerGracefulExitTimeout: 5000,
};
