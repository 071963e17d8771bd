// Calls MCP tools with the TypeScript SDK's client, as the MCP Inspector CLI does, and prints one
// JSON line per call: {"name", "result"} or {"name", "sdk_error"} (what the client threw).
// Usage: node call_tools.mjs URL '[{"name": ..., "arguments": {...}}, ...]'
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, callsJson] = process.argv.slice(2);
const client = new Client({ name: "ts-sdk-test", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  cursor = page.nextCursor;
} while (cursor);
for (const call of JSON.parse(callsJson)) {
  try {
    const result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
    console.log(JSON.stringify({ name: call.name, result }));
  } catch (error) {
    console.log(JSON.stringify({ name: call.name, sdk_error: String(error?.message ?? error) }));
  }
}
await client.close();
