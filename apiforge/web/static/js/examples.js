// Example values for a JSON schema from a preview's OpenAPI document, made to pass the schema's
// own checks (format, pattern, length, bounds, enum): Try it's pre-filled request must succeed
// when sent unchanged. No DOM here, so it runs under node too (tests/web/).
const FORMATS = {
  email: "user@example.com",
  date: "2024-01-15",
  "date-time": "2024-01-15T10:00:00Z",
  time: "10:00:00",
  uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  uri: "https://example.com/",
  url: "https://example.com/",
  hostname: "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  password: "s3cret-Passw0rd",
  duration: "P1D",
};
// A pattern (not a format) often is all that says "email": the field's name is the hint.
const NAME_HINTS = [
  [/e-?mail/i, FORMATS.email],
  [/url|uri|website|homepage|link/i, FORMATS.uri],
  [/date_?time|_at$|timestamp/i, FORMATS["date-time"]],
  [/date|_on$/i, FORMATS.date],
  [/phone/i, "+15550100"],
];
// Tried in order against a pattern that none of the hinted values matched.
const FALLBACKS = ["string", ...new Set(Object.values(FORMATS)), "abc", "ABC", "Abc1", "a", "1", "123", "+15550100"];
const MAX_DEPTH = 6;
const MAX_ITEMS = 10;

// The schema a $ref, anyOf/oneOf (first not null) or allOf stands for; keywords beside them
// (a field's default next to its anyOf) are kept and win.
export function resolve(spec, schema, depth = 0) {
  if (!schema || typeof schema !== "object" || depth > MAX_DEPTH) return {};
  const { $ref, anyOf, oneOf, allOf, ...own } = schema;
  if (typeof $ref === "string") {
    const target = $ref.replace(/^#\//, "").split("/").reduce((node, key) => (node ? node[key] : undefined), spec);
    return { ...resolve(spec, target, depth + 1), ...own };
  }
  const options = anyOf || oneOf;
  if (Array.isArray(options) && options.length) {
    const chosen = options.find((option) => resolve(spec, option, depth + 1).type !== "null") || options[0];
    return { ...resolve(spec, chosen, depth + 1), ...own };
  }
  if (Array.isArray(allOf) && allOf.length) {
    const parts = allOf.map((part) => resolve(spec, part, depth + 1));
    const properties = Object.assign({}, ...parts.map((part) => part.properties || {}), own.properties || {});
    const merged = Object.assign({}, ...parts, own);
    return Object.keys(properties).length ? { ...merged, properties } : merged;
  }
  return schema;
}

// The schema's own example wins; then one built from its constraints.
export function exampleFor(spec, schema, name = "", depth = 0) {
  const s = resolve(spec, schema);
  const given = declaredExample(s);
  if (given.found) return given.value;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (depth > MAX_DEPTH) return null;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (type === "object" || (!type && s.properties)) return objectFor(spec, s, depth);
  if (type === "array") return arrayFor(spec, s, name, depth);
  if (type === "integer") return numberFor(s, true);
  if (type === "number") return numberFor(s, false);
  if (type === "boolean") return true;
  if (type === "string") return stringFor(s, name);
  return type === "null" ? null : "string";
}

function declaredExample(s) {
  if (s.const !== undefined) return { found: true, value: s.const };
  if (s.example !== undefined) return { found: true, value: s.example };
  if (Array.isArray(s.examples) && s.examples.length) return { found: true, value: s.examples[0] };
  if (s.default !== undefined) return { found: true, value: s.default };
  return { found: false };
}

function objectFor(spec, s, depth) {
  // The server assigns ids and read-only fields; a create body that sends them is refused or ignored.
  const writable = Object.entries(s.properties || {}).filter(([key, prop]) => key !== "id" && !resolve(spec, prop).readOnly);
  return Object.fromEntries(writable.map(([key, prop]) => [key, exampleFor(spec, prop, key, depth + 1)]));
}

function arrayFor(spec, s, name, depth) {
  const wanted = Number.isInteger(s.minItems) ? s.minItems : 1;
  const count = Math.min(Math.max(wanted, 0), Number.isInteger(s.maxItems) ? s.maxItems : MAX_ITEMS, MAX_ITEMS);
  return Array.from({ length: count }, () => exampleFor(spec, s.items, name, depth + 1));
}

// 1 where allowed (ids start at 1), else the nearest allowed value.
export function numberFor(s, integer) {
  const { low, lowOpen, high, highOpen } = bounds(s);
  if (integer) {
    const lowest = lowOpen ? Math.floor(low) + 1 : Math.ceil(low);
    const highest = highOpen ? Math.ceil(high) - 1 : Math.floor(high);
    const value = Math.min(Math.max(1, lowest), highest);
    const step = Number.isInteger(s.multipleOf) && s.multipleOf > 0 ? s.multipleOf : 1;
    const stepped = Math.ceil(value / step) * step;
    return stepped > highest ? Math.floor(highest / step) * step : stepped;
  }
  let value = 1.5;
  if (value < low || (lowOpen && value <= low)) value = lowOpen ? inside(low, high, 1) : low;
  if (value > high || (highOpen && value >= high)) value = highOpen ? inside(high, low, -1) : high;
  return value;
}

// Strictly past an open bound, towards the other bound without reaching it.
function inside(bound, other, direction) {
  const next = bound + direction;
  return Number.isFinite(other) && (next - other) * direction >= 0 ? (bound + other) / 2 : next;
}

// OpenAPI 3.1 gives exclusive bounds as numbers, 3.0 as booleans beside minimum/maximum.
function bounds(s) {
  const num = (v) => typeof v === "number" && Number.isFinite(v);
  let low = num(s.minimum) ? s.minimum : -Infinity;
  let high = num(s.maximum) ? s.maximum : Infinity;
  let lowOpen = s.exclusiveMinimum === true;
  let highOpen = s.exclusiveMaximum === true;
  if (num(s.exclusiveMinimum) && s.exclusiveMinimum >= low) [low, lowOpen] = [s.exclusiveMinimum, true];
  if (num(s.exclusiveMaximum) && s.exclusiveMaximum <= high) [high, highOpen] = [s.exclusiveMaximum, true];
  return { low, lowOpen, high, highOpen };
}

export function stringFor(s, name = "") {
  const hinted = NAME_HINTS.filter(([words]) => words.test(name)).map(([, value]) => value);
  const candidates = [FORMATS[s.format], ...hinted, ...FALLBACKS].filter((value) => typeof value === "string");
  const fits = stringCheck(s);
  for (const candidate of candidates) {
    for (const sized of [candidate, fitLength(candidate, s)]) if (fits(sized)) return sized;
  }
  // Nothing known fits the pattern: the best guess still has the right length.
  return fitLength(candidates[0], s);
}

function stringCheck(s) {
  const pattern = compile(s.pattern);
  const min = Number.isInteger(s.minLength) ? s.minLength : 0;
  const max = Number.isInteger(s.maxLength) ? s.maxLength : Infinity;
  return (text) => text.length >= min && text.length <= max && (!pattern || pattern.test(text));
}

// The document's regex may use syntax JavaScript lacks (Python's (?P<name>...)): then unchecked.
function compile(pattern) {
  if (typeof pattern !== "string") return null;
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // Try without the unicode flag, then give up on the pattern.
    }
  }
  return null;
}

function fitLength(text, s) {
  const min = Number.isInteger(s.minLength) ? s.minLength : 0;
  const max = Number.isInteger(s.maxLength) ? s.maxLength : Infinity;
  const padded = text.length < min ? text + "x".repeat(min - text.length) : text;
  return padded.length > max ? padded.slice(0, Math.max(max, 0)) : padded;
}
