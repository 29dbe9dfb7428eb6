// Holds recorded HTTP responses to the OpenAPI document: each response (one JSON line of a file
// written by api::ResponseRecorder: method, route pattern, status, content type, body) must be a
// status its operation documents, in a media type documented for that status, and a JSON body must
// validate against that media type's schema (problem+json against the shared Problem schema with
// the status's codes). Prints every mismatch, grouped, with the schema errors and a sample body.
//
//   node check_responses.mjs [--allow-empty] [--ignore-route PATTERN]... OPENAPI_JSON RECORDS...
//
// Exit status: 0 every response matches; 1 mismatches (or no records without --allow-empty);
// 2 usage or unreadable input.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const kDocumentId = "https://cambista.invalid/openapi.json";

function usage(message) {
  console.error(`check_responses: ${message}`);
  console.error(
    "usage: node check_responses.mjs [--allow-empty] [--ignore-route PATTERN]... OPENAPI_JSON RECORDS...",
  );
  process.exit(2);
}

function parseArguments(argv) {
  const options = { allowEmpty: false, ignoredRoutes: new Set(), files: [] };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === "--allow-empty") options.allowEmpty = true;
    else if (argv[i] === "--ignore-route" && i + 1 < argv.length) options.ignoredRoutes.add(argv[++i]);
    else if (argv[i].startsWith("--")) usage(`unknown option ${argv[i]}`);
    else options.files.push(argv[i]);
  }
  if (options.files.length < 2) usage("an OpenAPI document and at least one records file are needed");
  return options;
}

function readRecords(files) {
  const records = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      usage(`cannot read ${file}: ${error.message}`);
    }
    text.split("\n").forEach((line, index) => {
      if (line.trim() === "") return;
      try {
        records.push(JSON.parse(line));
      } catch (error) {
        records.push({ unreadable: `${file}:${index + 1}: ${error.message}` });
      }
    });
  }
  return records;
}

// "text/plain; charset=utf-8" -> "text/plain".
const essence = (type) => type.split(";")[0].trim().toLowerCase();
const isJson = (type) => essence(type) === "application/json" || essence(type).endsWith("+json");

// The documented media type that `type` is: the same text, or the same essence documented
// without parameters.
function mediaTypeKey(content, type) {
  if (type in content) return type;
  return Object.keys(content).find((key) => !key.includes(";") && essence(key) === essence(type));
}

// A JSON pointer into the document, as a URI fragment ajv resolves.
const pointer = (...tokens) =>
  "#/" + tokens.map((t) => encodeURIComponent(String(t).replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");

class Checker {
  constructor(document) {
    this.document = document;
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; non-schema members of the document (and the
    // OpenAPI-only keywords) are left alone rather than refused.
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: kDocumentId });
    this.validators = new Map();
  }

  validator(fragment) {
    if (!this.validators.has(fragment)) {
      this.validators.set(fragment, this.ajv.getSchema(kDocumentId + fragment));
    }
    return this.validators.get(fragment);
  }

  // The mismatch of one record, or null when it matches its documented contract.
  check(record) {
    if (record.unreadable) return { key: "unreadable record line", detail: record.unreadable };
    const { method, route, status, content_type: type } = record;
    if (route === null) return this.checkUnmatched(record);
    const operation = this.document.paths?.[route]?.[method.toLowerCase()];
    if (!operation) return { key: `${method} ${route}: route not documented` };
    const response = operation.responses?.[String(status)];
    const where = `${method} ${route} ${status}`;
    if (!response) {
      const documented = Object.keys(operation.responses ?? {}).join(", ");
      return { key: `${where}: status not documented (documented: ${documented})`, record };
    }
    const content = response.content ?? {};
    const key = mediaTypeKey(content, type);
    if (key === undefined) {
      const documented = Object.keys(content).join(", ") || "no body";
      return { key: `${where}: content type ${type} not documented (documented: ${documented})`, record };
    }
    if (!isJson(type)) return null;  // images, HTML, Prometheus text: the media type is the check
    const fragment = pointer("paths", route, method.toLowerCase(), "responses", String(status), "content", key, "schema");
    return this.validate(where, fragment, record);
  }

  // A request no route matched: 404 or 405, problem+json.
  checkUnmatched(record) {
    const where = `${record.method} (no route) ${record.status}`;
    if (![404, 405].includes(record.status) || essence(record.content_type) !== "application/problem+json") {
      return { key: `${where}: an unmatched request must get a 404 or 405 problem`, record };
    }
    return this.validate(where, pointer("components", "schemas", "Problem"), record);
  }

  validate(where, fragment, record) {
    let body;
    try {
      body = JSON.parse(record.body);
    } catch (error) {
      return { key: `${where}: body is not JSON (${error.message})`, record };
    }
    const validate = this.validator(fragment);
    if (!validate) return { key: `${where}: no schema at ${fragment}`, record };
    if (validate(body)) return null;
    const errors = validate.errors.map((e) => `${e.instancePath || "(body)"} ${e.message}` +
      (e.params?.additionalProperty ? `: ${e.params.additionalProperty}` : "") +
      (e.params?.allowedValues ? `: ${JSON.stringify(e.params.allowedValues)}` : "") +
      (e.params && "allowedValue" in e.params ? `: ${JSON.stringify(e.params.allowedValue)}` : ""));
    return { key: `${where}: body does not match its schema`, detail: [...new Set(errors)].join("; "), record };
  }
}

function operationCount(document) {
  let count = 0;
  for (const item of Object.values(document.paths ?? {})) count += Object.keys(item).length;
  return count;
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  let document;
  try {
    document = JSON.parse(readFileSync(options.files[0], "utf8"));
  } catch (error) {
    usage(`cannot read the OpenAPI document ${options.files[0]}: ${error.message}`);
  }
  const records = readRecords(options.files.slice(1)).filter((r) => !options.ignoredRoutes.has(r.route));
  if (records.length === 0) {
    console.log("check_responses: no responses recorded");
    process.exit(options.allowEmpty ? 0 : 1);
  }
  const checker = new Checker(document);
  const mismatches = new Map();  // key -> {count, detail, record}
  const covered = new Set();
  for (const record of records) {
    if (record.route) covered.add(`${record.method} ${record.route}`);
    const mismatch = checker.check(record);
    if (!mismatch) continue;
    const entry = mismatches.get(mismatch.key) ?? { count: 0, ...mismatch };
    entry.count += 1;
    mismatches.set(mismatch.key, entry);
  }
  let failed = 0;
  for (const [key, entry] of mismatches) {
    failed += entry.count;
    console.log(`MISMATCH (${entry.count}x) ${key}`);
    if (entry.detail) console.log(`  ${entry.detail}`);
    if (entry.record?.body !== undefined) console.log(`  body: ${entry.record.body.slice(0, 400)}`);
  }
  console.log(`check_responses: ${records.length} responses checked, ${failed} mismatched; ` +
    `${covered.size} of ${operationCount(document)} documented operations exercised`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
