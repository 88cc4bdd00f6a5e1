module.exports = { testEnvironment: 'node', roots: ['<rootDir>/dist/test'], testMatch: ['**/*.spec.js'] };
