#!/usr/bin/env node
// The `edgeplane` command. TypeScript runs through tsx, as in every other entry point of the project.
require("tsx/cjs");
const { main } = require("./main.ts");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`edgeplane: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
