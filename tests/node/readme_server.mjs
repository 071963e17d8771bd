// A small Halo MCP server in Node, the kind the README's verify line names (`node dist/index.js`):
// ESM on the TypeScript MCP SDK's low-level Server over stdio, Halo reached with fetch and OAuth client
// credentials from the variables the README's line fills in (HALO_API_URL, HALO_AUTH_URL,
// HALO_CLIENT_ID, HALO_CLIENT_SECRET, HALO_TENANT). tests/test_readme.py copies it to dist/index.js and
// runs the README's line against it. Written to be honest: arguments checked against each tool's own
// schema before Halo is called, Halo's status and body passed through once (no retries), one token
// refresh and one replay on a 401, pages numbered as Halo numbers them, "more" read from record_count.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const env = process.env;
const API = env.HALO_API_URL.replace(/\/$/, "");
const HALO_MAX_PAGE = 100;
const id = { type: "integer", minimum: 1, maximum: 2147483647 };
const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

const TOOLS = [
  {
    name: "halo_tickets_list",
    description: "List Halo tickets, one page at a time (`more` says whether another page follows).",
    annotations: read,
    inputSchema: {
      type: "object",
      additionalProperties: false,
      properties: {
        client_id: id,
        status_id: id,
        open_only: { type: "boolean" },
        page: { ...id, maximum: 10000, default: 1 },
        page_size: { ...id, maximum: 50, default: 20 },
      },
    },
  },
  {
    name: "halo_tickets_get",
    description: "Get one Halo ticket by its id.",
    annotations: read,
    inputSchema: { type: "object", additionalProperties: false, required: ["ticket_id"], properties: { ticket_id: id } },
  },
  {
    name: "halo_tickets_create",
    description: "Create a Halo ticket.",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    inputSchema: {
      type: "object",
      additionalProperties: false,
      required: ["summary", "client_id"],
      properties: { summary: { type: "string", minLength: 1, maxLength: 200 }, client_id: id },
    },
  },
  {
    name: "halo_clients_get",
    description: "Get one Halo client (customer) by its id.",
    annotations: read,
    inputSchema: { type: "object", additionalProperties: false, required: ["client_id"], properties: { client_id: id } },
  },
];

/** The first way `args` breaks `schema` (the few keywords the schemas above use), or null. */
function invalid(schema, args) {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return "arguments must be an object";
  for (const name of schema.required ?? []) if (!(name in args)) return `${name} is required`;
  for (const [name, value] of Object.entries(args)) {
    const rule = schema.properties[name];
    if (!rule) return `unknown argument ${name}`;
    if (rule.type === "integer" && !(Number.isInteger(value) && value >= rule.minimum && value <= rule.maximum))
      return `${name} must be an integer from ${rule.minimum} to ${rule.maximum}`;
    if (rule.type === "boolean" && typeof value !== "boolean") return `${name} must be true or false`;
    if (rule.type === "string" && !(typeof value === "string" && value.length >= rule.minLength && value.length <= rule.maxLength))
      return `${name} must be a string of ${rule.minLength} to ${rule.maxLength} characters`;
  }
  return null;
}

let token = null;

async function newToken() {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: env.HALO_CLIENT_ID,
    client_secret: env.HALO_CLIENT_SECRET,
    scope: "all",
    ...(env.HALO_TENANT ? { tenant: env.HALO_TENANT } : {}),
  });
  const answer = await fetch(env.HALO_AUTH_URL, { method: "POST", body: form });
  if (!answer.ok) throw new Error(`Halo refused the credentials (${answer.status}): ${await answer.text()}`);
  return (await answer.json()).access_token;
}

async function send(method, path, body) {
  return fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

/** Halo's answer to one request: one refresh and one replay on a 401, nothing retried. */
async function halo(method, path, body) {
  token ??= await newToken();
  let answer = await send(method, path, body);
  if (answer.status === 401) {
    token = await newToken();
    answer = await send(method, path, body);
  }
  return answer;
}

const text = (value, isError = false) => ({
  content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }],
  ...(isError ? { isError: true } : {}),
});

async function call(name, args) {
  if (name === "halo_tickets_list") {
    const page = args.page ?? 1;
    const size = args.page_size ?? 20;
    const query = new URLSearchParams({ pageinate: "true", page_size: String(size), page_no: String(page) });
    for (const filter of ["client_id", "status_id", "open_only"]) {
      if (filter in args) query.set(filter, String(args[filter]));
    }
    const answer = await halo("GET", `/Tickets?${query}`);
    if (!answer.ok) return answer;
    const body = await answer.json();
    const rows = body.tickets;
    const more =
      body.record_count === undefined
        ? rows.length >= size
        : (page - 1) * Math.min(size, HALO_MAX_PAGE) + rows.length < body.record_count;
    return text({ page, tickets: rows, more });
  }
  if (name === "halo_tickets_get" || name === "halo_clients_get") {
    const path = name === "halo_tickets_get" ? `/Tickets/${args.ticket_id}` : `/Client/${args.client_id}`;
    const answer = await halo("GET", path);
    return answer.ok ? text(await answer.json()) : answer;
  }
  const answer = await halo("POST", "/Tickets", [{ summary: args.summary, client_id: args.client_id }]);
  return answer.ok ? text(await answer.json()) : answer;
}

const server = new Server({ name: "readme-node-halo", version: "1.0.0" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const tool = TOOLS.find((t) => t.name === request.params.name);
  if (!tool) return text(`Unknown tool ${request.params.name}`, true);
  const args = request.params.arguments ?? {};
  const problem = invalid(tool.inputSchema, args);
  if (problem) return text(`Invalid arguments: ${problem}`, true);
  try {
    const outcome = await call(tool.name, args);
    if (!(outcome instanceof Response)) return outcome;
    return text(`Halo answered ${outcome.status}: ${await outcome.text()}`, true);
  } catch (error) {
    return text(`Halo could not be reached: ${error?.cause?.message ?? error?.message ?? error}`, true);
  }
});
await server.connect(new StdioServerTransport());
