/**
 * Tests run TypeScript through ts-jest in transpile-only mode (tsconfig has isolatedModules); type checking
 * is `tsc --noEmit`, which `npm test` runs first.
 *
 * At least two workers, even on a 2-core machine (jest's default there is one): the slowest files (real Terraform,
 * synth through the cdktf CLI) spend most of their time waiting on child processes, so a second worker
 * runs the rest of the suite meanwhile.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "ts-jest",
      { tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true }, diagnostics: false },
    ],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup-cdktf.ts"],
  testTimeout: 60000,
  maxWorkers: Math.max(2, require("node:os").cpus().length - 1),
};
