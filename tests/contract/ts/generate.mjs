// Generates both clients from the document the live server serves: `node generate.mjs <url>`.
import { mkdir, writeFile } from "node:fs/promises";
import openapiTS, { astToString } from "openapi-typescript";
import { createClient } from "@hey-api/openapi-ts";
import ts from "typescript";

const url = process.argv[2];
const response = await fetch(`${url}/openapi.json`);
if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
const document = await response.json();
await mkdir("generated", { recursive: true });
await writeFile("generated/openapi.json", JSON.stringify(document, null, 2));

// openapi-typescript documents binary strings as Blob (its documented `transform` recipe).
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(document, {
  transform(schema) {
    return schema.format === "binary" ? BLOB : undefined;
  },
});
await writeFile("generated/schema.ts", astToString(ast));

await createClient({
  input: "./generated/openapi.json",
  output: "generated/hey",
  plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk"],
  logs: { level: "silent", file: false },
});
