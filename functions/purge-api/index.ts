/**
 * POST /purge and GET /purge/{jobId} behind API Gateway (IAM auth).
 * Placeholder until the purge runtime lands: it answers 501 so no caller mistakes it for a purge.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  return {
    statusCode: 501,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: "not implemented", route: event.routeKey }),
  };
}
