// ajv in strict mode over the event JSON Schemas, and each golden example against its schema.
// Usage: node ajv-strict.mjs <schemas dir> <examples dir> <vendor keyword>...
// The vendor keywords (`x-event-type`, `x-pii`, ...) are annotations the contracts declare
// (contracts.schemas.VENDOR_KEYWORDS); ajv's strict mode accepts exactly those, via `keywords`.
// Prints one line per error or warning and a count; exits 1 if there is any.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schemasDir, examplesDir, ...keywords] = process.argv.slice(2);
const problems = [];
const logger = {
  log: () => {},
  warn: (...args) => problems.push(`warning: ${args.join(" ")}`),
  error: (...args) => problems.push(`error: ${args.join(" ")}`),
};
const ajv = new Ajv2020({ strict: true, allErrors: true, keywords, logger });
addFormats(ajv);

let schemas = 0;
const validators = new Map();
for (const type of readdirSync(schemasDir).sort()) {
  for (const file of readdirSync(join(schemasDir, type)).sort()) {
    const path = join(schemasDir, type, file);
    try {
      validators.set(`${type}/${file}`, ajv.compile(JSON.parse(readFileSync(path, "utf8"))));
      schemas += 1;
    } catch (error) {
      problems.push(`error: ${path}: ${error.message}`);
    }
  }
}

let examples = 0;
for (const file of readdirSync(examplesDir).sort()) {
  const event = JSON.parse(readFileSync(join(examplesDir, file), "utf8"));
  const named = event.dataschema.match(/([a-z]+\.[a-z_]+\/v[0-9]+\.json)$/);
  const validate = named && validators.get(named[1]);
  if (!validate) {
    problems.push(`error: ${file}: no schema for dataschema ${event.dataschema}`);
  } else if (!validate(event.data)) {
    problems.push(`error: ${file}: ${ajv.errorsText(validate.errors)}`);
  }
  examples += 1;
}

for (const problem of problems) console.log(`ajv: ${problem}`);
console.log(`ajv (strict): ${schemas} schemas, ${examples} examples, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
