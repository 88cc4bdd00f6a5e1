import { attachmentDisposition, sanitizeFilename } from '../../libs/attachments/attachment-filename.js';
import { classifyUpload, ContentInspector } from '../../libs/attachments/content-sniffer.js';

/** Feeds the inspector in the given pieces, as a stream would. */
const inspect = (...chunks: (string | Buffer)[]) => {
  const inspector = new ContentInspector();
  for (const chunk of chunks) inspector.update(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return inspector.finish();
};
const verdict = (name: string, ...chunks: (string | Buffer)[]) => classifyUpload(name, inspect(...chunks));

describe('attachment content sniffing', () => {
  test('text split inside a multi-byte character is still text; text cut off inside one is not', () => {
    const euro = Buffer.from('price: 5 €\n');
    expect(verdict('notes.txt', euro.subarray(0, 10), euro.subarray(10))).toEqual({ contentType: 'text/plain; charset=utf-8' });
    expect(verdict('notes.txt', euro.subarray(0, euro.length - 2))).toEqual({ refusal: expect.stringContaining('unrecognised type') });
    expect(verdict('table.csv', 'a,b\n1,\0\n')).toEqual({ refusal: expect.stringContaining('unrecognised type') });
  });

  test('an Office entry name that straddles two chunks is still found', () => {
    const zip = Buffer.from('PK\x03\x04....[Content_Types].xml....xl/workbook.xml....', 'latin1');
    expect(verdict('budget.xlsx', zip.subarray(0, 14), zip.subarray(14, 30), zip.subarray(30))).toEqual({
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    expect(verdict('budget.docx', zip)).toEqual({ refusal: "the content is an Excel workbook, which does not match the name's .docx" });
  });

  test('the name must be allowed and agree with the content', () => {
    expect(verdict('scan.PDF', '%PDF-1.7\n')).toEqual({ contentType: 'application/pdf' });
    expect(verdict('scan.pdf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toEqual({
      refusal: "the content is a PNG image, which does not match the name's .pdf",
    });
    expect(verdict('README', 'hello')).toEqual({ refusal: expect.stringMatching(/^a name without an extension is not allowed/) });
    expect(verdict('page.txt', '\ufeff  <!DOCTYPE html><p>hi')).toEqual({ refusal: 'the content is HTML, SVG or XML markup, which is not allowed' });
  });
});

describe('attachment filenames', () => {
  test('paths, control characters and bidi overrides are dropped, and long names keep their extension', () => {
    expect(sanitizeFilename('C:\\Users\\ada\\..\\report\u0007 \u202Efinal.pdf')).toBe('report final.pdf');
    const long = sanitizeFilename(`${'x'.repeat(300)}.txt`);
    expect(long).toHaveLength(200);
    expect(long.endsWith('.txt')).toBe(true);
  });

  test('Content-Disposition carries the exact UTF-8 name and a harmless ASCII stand-in', () => {
    expect(attachmentDisposition('Résumé "2026".pdf')).toBe(`attachment; filename="R_sum_ _2026_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%222026%22.pdf`);
  });
});
