/**
 * A small CSV reader for audience files (RFC 4180, read leniently where that is safe): comma-separated
 * fields; records end at CRLF, LF or a lone CR; a field in double quotes may hold commas, line breaks and
 * doubled quotes (`""`); a leading byte-order mark is dropped. Blank lines are no records, and a quote in the
 * middle of an unquoted field is kept as it is. An unterminated quoted field, or anything but spaces between
 * a closing quote and the next comma or line break, is an error: the file would be read as something other
 * than what its author meant.
 */

export class CsvError extends Error {}

/** Every record of `text`, header row included, each as its fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  /** Whether the field being read was quoted: `""` is a field even though it is empty. */
  let quoted = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  const endRecord = () => {
    // A blank line is no record.
    if (record.length > 0 || field !== '' || quoted) {
      record.push(field);
      records.push(record);
    }
    record = [];
    field = '';
    quoted = false;
  };

  while (i < n) {
    const c = text[i];
    if (c === ',') {
      record.push(field);
      field = '';
      quoted = false;
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else if (c === '"' && field === '' && !quoted) {
      // A quoted field: up to the quote that is not doubled.
      const startLine = line;
      quoted = true;
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) throw new CsvError(`line ${startLine}: a quoted field is never closed`);
        field += text.slice(i, quote);
        line += countLineBreaks(text, i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        field += '"';
        i++;
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        throw new CsvError(`line ${line}: a closing quote must be followed by a comma or the end of the line`);
      }
    } else {
      // An unquoted field, up to the next comma or line break; a quote in it is an ordinary character.
      let end = i;
      while (end < n && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') end++;
      field += text.slice(i, end);
      i = end;
    }
  }
  endRecord();
  return records;
}

/** Line breaks in text[from, to), counting CRLF once, as the record separator does. */
function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) count++;
  }
  return count;
}
