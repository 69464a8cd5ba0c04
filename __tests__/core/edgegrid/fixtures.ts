/** Loads the EdgeGrid vector files copied into __tests__/fixtures/edgegrid (see the README there). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures", "edgegrid");

export function fixturePath(relative: string): string {
  return join(FIXTURES_DIR, relative);
}

export function readFixture(relative: string): Buffer {
  return readFileSync(fixturePath(relative));
}

export interface VectorCase {
  testName: string;
  request: {
    method: string;
    path: string;
    data?: string;
    headers?: Array<Record<string, string>>;
  };
  expectedAuthorization: string;
  expectedDataToSign?: string;
  failsWithMessage?: string;
}

export interface VectorConfig {
  base_url: string;
  access_token: string;
  client_token: string;
  client_secret: string;
  max_body: number;
  headers_to_sign: string[];
  nonce: string;
  timestamp: string;
  jsontest_hash: string;
  sign_key_test: string;
  content_hash_test: string;
  multipart_hash_test: string;
}

export function vectorCases(): VectorCase[] {
  return JSON.parse(readFixture("python/testcases.json").toString("utf8")) as VectorCase[];
}

export function vectorConfig(): VectorConfig {
  return JSON.parse(readFixture("python/testdata.json").toString("utf8")) as VectorConfig;
}
