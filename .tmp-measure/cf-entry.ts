export { cloudFrontTransport } from "../core/cdn/cloudfront-sdk";
export { CloudFrontClient } from "@aws-sdk/client-cloudfront";
