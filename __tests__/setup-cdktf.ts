/** Registers cdktf's jest matchers (toHaveResourceWithProperties, …) for every test file. */
import { Testing } from "cdktf";

Testing.setupJest();
