#!/usr/bin/env node
// Start @vercel/cosmosdb-server for the contract tests, with keep-alive connections.
//
// Its stock CLI answers every request with "Connection: close", so the Python SDK opens a new
// TLS connection per request (~25 requests/s). The library's createHttpsServer({keepAlive})
// keeps connections open (~600 requests/s). Usage: node cosmos-server.js [port] [host]
// Port 0 picks a free port; the line "cosmosdb-server ready on https://HOST:PORT" says which.
"use strict";

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const port = Number.parseInt(process.argv[2] || "0", 10);
const host = process.argv[3] || "127.0.0.1";
const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60_000;

server.listen(port, host, () => {
  const address = server.address();
  console.log(`cosmosdb-server ready on https://${host}:${address.port}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
