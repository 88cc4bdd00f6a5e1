/** Tests are TypeScript compiled by `npm run build`; jest runs the JavaScript under dist/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test', '<rootDir>/dist/libs'],
  testMatch: ['**/*.spec.js'],
  testTimeout: 60_000,
  verbose: true,
};
