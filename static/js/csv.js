// A CSV file's header row, read the way the server's loader reads it (engine/datasets/csv_loader.py): a BOM
// dropped, the first line that is not blank, the delimiter it has most of outside double quotes (comma,
// semicolon or tab; ties go to the comma), fields in double quotes may hold delimiters, doubled quotes and line
// breaks, spaces after a delimiter are skipped, names are trimmed. The upload's column picker lists these names.

const DELIMITERS = [",", ";", "\t"];

/** The header's column names. */
export function csvHeader(text) {
  text = text.replace(/^\ufeff/, "");
  const start = firstNonBlankLine(text);
  const delimiter = delimiterOf(text, start);
  return firstRecord(text, start, delimiter).map((name) => name.trim());
}

function firstNonBlankLine(text) {
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end === -1 ? text.length : end);
    if (line.trim()) return at;
    if (end === -1) break;
    at = end + 1;
  }
  return at;
}

function delimiterOf(text, start) {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "\n") break;
    else if (!quoted && c in counts) counts[c] += 1;
  }
  const best = DELIMITERS.reduce((a, b) => (counts[b] > counts[a] ? b : a));
  return counts[best] ? best : ",";
}

/** One record from `start`, as Python's csv.reader(skipinitialspace=True) splits it. */
function firstRecord(text, start, delimiter) {
  const fields = [];
  let field = "";
  let quoted = false;
  let fieldStart = true;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (c === " " && fieldStart) {
      /* a space after a delimiter */
    } else if (c === delimiter) {
      fields.push(field);
      field = "";
      fieldStart = true;
    } else if (c === "\n" || c === "\r") {
      break;
    } else {
      field += c;
      fieldStart = false;
    }
  }
  fields.push(field);
  return fields;
}
