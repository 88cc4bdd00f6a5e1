import * as path from 'node:path';

/**
 * Recognises the allowed attachment types by their bytes, and requires the file's name to agree.
 * The client's declared MIME type is never consulted: it is whatever the client says.
 */

const HEAD_BYTES = 4096;
const OOXML_MARKERS = {
  contentTypes: Buffer.from('[Content_Types].xml'),
  docx: Buffer.from('word/document.xml'),
  xlsx: Buffer.from('xl/workbook.xml'),
  pptx: Buffer.from('ppt/presentation.xml'),
};
type OoxmlMarker = keyof typeof OOXML_MARKERS;
const LONGEST_MARKER = Math.max(...Object.values(OOXML_MARKERS).map((m) => m.length));

export interface ContentInspection {
  head: Buffer;
  size: number;
  /** Valid UTF-8 with no NUL byte: what a .txt or .csv must be. */
  isText: boolean;
  /** Names found anywhere in the bytes; in a ZIP they are its entry names. */
  markers: Set<OoxmlMarker>;
}

/** Fed every chunk as the upload streams to disk, so nothing is read twice or held whole in memory. */
export class ContentInspector {
  private head = Buffer.alloc(0);
  private size = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private isText = true;
  private readonly markers = new Set<OoxmlMarker>();
  private carry = Buffer.alloc(0);

  update(chunk: Buffer): void {
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    this.size += chunk.length;
    if (this.isText) {
      try {
        if (chunk.includes(0)) this.isText = false;
        else this.utf8.decode(chunk, { stream: true });
      } catch {
        this.isText = false;
      }
    }
    // A marker may straddle two chunks, so each search also covers the previous chunk's tail.
    const window = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    for (const [name, marker] of Object.entries(OOXML_MARKERS) as [OoxmlMarker, Buffer][]) {
      if (!this.markers.has(name) && window.includes(marker)) this.markers.add(name);
    }
    this.carry = Buffer.from(window.subarray(Math.max(0, window.length - (LONGEST_MARKER - 1))));
  }

  finish(): ContentInspection {
    if (this.isText) {
      try {
        this.utf8.decode();
      } catch {
        this.isText = false; // ends inside a multi-byte sequence
      }
    }
    return { head: this.head, size: this.size, isText: this.isText, markers: this.markers };
  }
}

interface AllowedType {
  description: string;
  /** The first is the content type when the others do not say otherwise. */
  contentTypes: Record<string, string>;
}

const ALLOWED: Record<string, AllowedType> = {
  pdf: { description: 'a PDF document', contentTypes: { '.pdf': 'application/pdf' } },
  png: { description: 'a PNG image', contentTypes: { '.png': 'image/png' } },
  jpeg: { description: 'a JPEG image', contentTypes: { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' } },
  gif: { description: 'a GIF image', contentTypes: { '.gif': 'image/gif' } },
  webp: { description: 'a WebP image', contentTypes: { '.webp': 'image/webp' } },
  heic: { description: 'a HEIC image', contentTypes: { '.heic': 'image/heic', '.heif': 'image/heif' } },
  text: { description: 'plain text', contentTypes: { '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8' } },
  docx: { description: 'a Word document', contentTypes: { '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } },
  xlsx: { description: 'an Excel workbook', contentTypes: { '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } },
  pptx: { description: 'a PowerPoint presentation', contentTypes: { '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation' } },
};

export const ALLOWED_EXTENSIONS = Object.values(ALLOWED).flatMap((type) => Object.keys(type.contentTypes));

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);
/** Markup a browser or viewer might render or run, whatever the name says. */
const MARKUP = /^(\ufeff)?\s*<(!doctype|html|head|body|script|iframe|object|embed|svg|\?xml)\b/i;

const startsWith = (head: Buffer, bytes: string | number[], offset = 0) => {
  const expected = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return head.length >= offset + expected.length && head.subarray(offset, offset + expected.length).equals(expected);
};

/** What the bytes are: an allowed type's key, or a description of what was refused. */
function detect(inspection: ContentInspection): { type: string } | { refused: string } {
  const { head, markers } = inspection;
  if (startsWith(head, '%PDF-')) return { type: 'pdf' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { type: 'png' };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { type: 'jpeg' };
  if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return { type: 'gif' };
  if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) return { type: 'webp' };
  if (startsWith(head, 'ftyp', 4) && HEIC_BRANDS.has(head.subarray(8, 12).toString('latin1'))) return { type: 'heic' };
  if (startsWith(head, 'PK\x03\x04')) {
    if (!markers.has('contentTypes')) return { refused: 'a ZIP archive' };
    const office = (['docx', 'xlsx', 'pptx'] as const).find((kind) => markers.has(kind));
    return office ? { type: office } : { refused: 'an Office file of an unsupported kind' };
  }
  if (startsWith(head, 'MZ')) return { refused: 'a Windows executable' };
  if (startsWith(head, '\x7fELF')) return { refused: 'an ELF executable' };
  if (inspection.isText) {
    if (MARKUP.test(head.toString('utf8'))) return { refused: 'HTML, SVG or XML markup' };
    return { type: 'text' };
  }
  return { refused: 'of an unrecognised type' };
}

/** The content type to store and serve, or why the file is refused (the client hears the reason). */
export function classifyUpload(filename: string, inspection: ContentInspection): { contentType: string } | { refusal: string } {
  const extension = path.extname(filename).toLowerCase();
  const allowedList = ALLOWED_EXTENSIONS.join(', ');
  if (!ALLOWED_EXTENSIONS.includes(extension)) {
    return { refusal: `${extension ? `${extension} files are` : 'a name without an extension is'} not allowed; allowed: ${allowedList}` };
  }
  const detected = detect(inspection);
  if ('refused' in detected) {
    return { refusal: `the content is ${detected.refused}, which is not allowed` };
  }
  const type = ALLOWED[detected.type];
  const contentType = type.contentTypes[extension];
  if (!contentType) return { refusal: `the content is ${type.description}, which does not match the name's ${extension}` };
  return { contentType };
}
