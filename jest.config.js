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
};
