/**
 * Imported first by tests that load a handler: the shared Powertools logger (functions/aws/powertools.ts)
 * reads its level when the module loads. Jest gives each test file its own copy of process.env.
 */
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
