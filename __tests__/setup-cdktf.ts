/** Registers cdktf's jest matchers (toHaveResourceWithProperties, …) for every test file, and their types. */
import { Testing } from "cdktf";
import type {} from "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
