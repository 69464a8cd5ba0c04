import { App } from "cdktf";
import { loadEnvironments } from "./config";
import { EdgeStack } from "./constructs/edge-stack";

const app = new App();
for (const env of loadEnvironments()) new EdgeStack(app, { env });
app.synth();
