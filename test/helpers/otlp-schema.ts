/**
 * A checker for OTLP/HTTP JSON trace payloads (ExportTraceServiceRequest), written from
 * opentelemetry-proto's trace.proto, common.proto, resource.proto and trace_service.proto, and
 * its specification's JSON rules: lowerCamelCase keys only, trace and span ids hex (32 and 16
 * digits), enums as integers, 64-bit integers as decimal strings, 32-bit ones as numbers, an
 * AnyValue with exactly one of its fields. Strict as a producer must be: an unknown key is a
 * problem here (a receiver would silently ignore a misspelt one). Returns every problem with its
 * JSON path; an empty list means the payload conforms.
 */

type Scalar = "string" | "bool" | "double" | "uint32" | "int32" | "fixed32" | "int64" | "fixed64" | "bytes" | "traceId" | "spanId";
type FieldType = Scalar | { msg: string } | { enum: readonly number[] };
interface Field {
  type: FieldType;
  repeated?: boolean;
}

const f = (type: FieldType, repeated = false): Field => ({ type, repeated });
const m = (msg: string, repeated = false): Field => f({ msg }, repeated);

/** Message name → JSON field name → field (proto field names converted to lowerCamelCase). */
const MESSAGES: Record<string, Record<string, Field>> = {
  ExportTraceServiceRequest: { resourceSpans: m("ResourceSpans", true) },
  ResourceSpans: { resource: m("Resource"), scopeSpans: m("ScopeSpans", true), schemaUrl: f("string") },
  Resource: { attributes: m("KeyValue", true), droppedAttributesCount: f("uint32"), entityRefs: m("EntityRef", true) },
  EntityRef: { schemaUrl: f("string"), type: f("string"), idKeys: f("string", true), descriptionKeys: f("string", true) },
  ScopeSpans: { scope: m("InstrumentationScope"), spans: m("Span", true), schemaUrl: f("string") },
  InstrumentationScope: { name: f("string"), version: f("string"), attributes: m("KeyValue", true), droppedAttributesCount: f("uint32") },
  Span: {
    traceId: f("traceId"), spanId: f("spanId"), traceState: f("string"), parentSpanId: f("spanId"), flags: f("fixed32"), name: f("string"),
    kind: f({ enum: [0, 1, 2, 3, 4, 5] }), startTimeUnixNano: f("fixed64"), endTimeUnixNano: f("fixed64"), attributes: m("KeyValue", true),
    droppedAttributesCount: f("uint32"), events: m("Event", true), droppedEventsCount: f("uint32"), links: m("Link", true),
    droppedLinksCount: f("uint32"), status: m("Status"),
  },
  Event: { timeUnixNano: f("fixed64"), name: f("string"), attributes: m("KeyValue", true), droppedAttributesCount: f("uint32") },
  Link: { traceId: f("traceId"), spanId: f("spanId"), traceState: f("string"), attributes: m("KeyValue", true), droppedAttributesCount: f("uint32"), flags: f("fixed32") },
  Status: { message: f("string"), code: f({ enum: [0, 1, 2] }) },
  KeyValue: { key: f("string"), value: m("AnyValue"), keyStrindex: f("int32") },
  AnyValue: {
    stringValue: f("string"), boolValue: f("bool"), intValue: f("int64"), doubleValue: f("double"), arrayValue: m("ArrayValue"),
    kvlistValue: m("KeyValueList"), bytesValue: f("bytes"), stringValueStrindex: f("int32"),
  },
  ArrayValue: { values: m("AnyValue", true) },
  KeyValueList: { values: m("KeyValue", true) },
};

/** Fields of a oneof: at most one may be set (AnyValue's `value`; OTLP needs exactly one). */
const ONE_OF: Record<string, readonly string[]> = { AnyValue: Object.keys(MESSAGES.AnyValue!) };

/** Problems of `payload` as an ExportTraceServiceRequest; [] when it conforms. */
export function otlpTraceProblems(payload: unknown): string[] {
  const out: string[] = [];
  message(payload, "ExportTraceServiceRequest", "$", out);
  return out;
}

function message(v: unknown, name: string, path: string, out: string[]): void {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    out.push(`${path}: ${name} must be a JSON object`);
    return;
  }
  const fields = MESSAGES[name]!;
  for (const [key, value] of Object.entries(v)) {
    const field = fields[key];
    if (!field) {
      out.push(`${path}.${key}: not a field of ${name}${key.includes("_") ? " (keys are lowerCamelCase)" : ""}`);
      continue;
    }
    if (!field.repeated) {
      check(value, field.type, `${path}.${key}`, out);
      continue;
    }
    if (!Array.isArray(value)) out.push(`${path}.${key}: repeated field must be an array`);
    else value.forEach((item, i) => check(item, field.type, `${path}.${key}[${i}]`, out));
  }
  const oneOf = ONE_OF[name];
  if (oneOf && oneOf.filter((k) => k in v).length !== 1) out.push(`${path}: ${name} must set exactly one of ${oneOf.join(", ")}`);
  if (name === "Span") spanRules(v as Record<string, unknown>, path, out);
}

/** What the proto's comments require of a span beyond types: both ids present and non-zero, a name. */
function spanRules(s: Record<string, unknown>, path: string, out: string[]): void {
  if (typeof s.traceId !== "string" || /^0+$/.test(s.traceId)) out.push(`${path}.traceId: required, not all zeros`);
  if (typeof s.spanId !== "string" || /^0+$/.test(s.spanId)) out.push(`${path}.spanId: required, not all zeros`);
  if (typeof s.name !== "string" || s.name === "") out.push(`${path}.name: required`);
  if (typeof s.startTimeUnixNano !== "string" || typeof s.endTimeUnixNano !== "string") out.push(`${path}: start and end times required`);
  else if (BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano)) out.push(`${path}: ends before it starts`);
}

function check(v: unknown, type: FieldType, path: string, out: string[]): void {
  if (typeof type === "object") {
    if ("msg" in type) return message(v, type.msg, path, out);
    if (!Number.isInteger(v) || !type.enum.includes(v as number)) out.push(`${path}: enum must be one of the integers ${type.enum.join(", ")} (names are not allowed)`);
    return;
  }
  const bad = (what: string) => out.push(`${path}: ${what}, got ${JSON.stringify(v)}`);
  switch (type) {
    case "string":
      if (typeof v !== "string") bad("must be a string");
      break;
    case "bool":
      if (typeof v !== "boolean") bad("must be true or false");
      break;
    case "double":
      if (typeof v !== "number" && !["NaN", "Infinity", "-Infinity"].includes(v as string)) bad("must be a number");
      break;
    case "uint32":
    case "fixed32":
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) bad("must be an unsigned 32-bit integer");
      break;
    case "int32":
      if (!Number.isInteger(v) || Math.abs(v as number) > 0x7fffffff) bad("must be a 32-bit integer");
      break;
    case "int64":
      if (typeof v !== "string" || !/^-?\d+$/.test(v)) bad("64-bit integers are decimal strings");
      break;
    case "fixed64":
      if (typeof v !== "string" || !/^\d+$/.test(v) || BigInt(v) >= 2n ** 64n) bad("64-bit unsigned integers are decimal strings");
      break;
    case "bytes":
      if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) bad("bytes are base64");
      break;
    case "traceId":
      if (typeof v !== "string" || !/^[0-9a-fA-F]{32}$/.test(v)) bad("trace ids are 32 hex digits (not base64)");
      break;
    case "spanId":
      if (typeof v !== "string" || !(v === "" || /^[0-9a-fA-F]{16}$/.test(v))) bad("span ids are 16 hex digits (not base64)");
      break;
  }
}
