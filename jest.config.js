// Unit tests of src/core run anywhere; the system tests need root, btrfs,
// a system bus with polkitd and Xvfb (see tests/support).
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
};
const common = { transform, extensionsToTreatAsEsm: ['.ts'], testEnvironment: 'node' };

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    { ...common, displayName: 'system', testMatch: ['<rootDir>/tests/system/**/*.test.ts'] },
  ],
};
