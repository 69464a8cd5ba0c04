/**
 * Tests run TypeScript through ts-jest in transpile-only mode (tsconfig has isolatedModules); type checking
 * is `tsc --noEmit`, which `npm test` runs first.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true }, diagnostics: false }],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup-cdktf.ts"],
  testTimeout: 60000,
};
