import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Api, createOrganization, eventually, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';

const MAX_BYTES = 25 * 1024 * 1024;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);
const TEXT = Buffer.from('Claim 4411: approved. Grüße, 東京 ✓\n');
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(120), Buffer.from('This program cannot be run in DOS mode.')]);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A minimal ZIP with stored (uncompressed) entries, as Office writes its documents. */
function zip(entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    directory.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralDirectory = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralDirectory, end]);
}

const CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>';
const DOCX = zip({ '[Content_Types].xml': CONTENT_TYPES, '_rels/.rels': '<Relationships/>', 'word/document.xml': '<w:document/>' });
const XLSX = zip({ '[Content_Types].xml': CONTENT_TYPES, 'xl/workbook.xml': '<workbook/>' });
const PLAIN_ZIP = zip({ 'word/document.xml': '<w:document/>' });

/**
 * Attachments end to end: multipart uploads to the API process, files on a real disk, downloads with
 * their headers, and who may fetch them.
 */
describe('attachments (end to end)', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-attachments-'));
  // Not created in advance: the API creates it when it starts.
  const attachmentsDir = path.join(scratch, 'attachments');
  let platform: Platform;
  let org: TestOrganization;
  let uploader: { id: string; api: Api };
  let colleague: Api;
  let otherOrg: TestOrganization;

  beforeAll(async () => {
    platform = await new Platform({ env: { ATTACHMENTS_DIR: attachmentsDir } }).start();
    org = await createOrganization(platform.baseUrl);
    uploader = await org.addUser('member');
    colleague = (await org.addUser('staff')).api;
    otherOrg = await createOrganization(platform.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const post = async (api: Api, body: RequestInit['body'], headers: Record<string, string> = {}) => {
    const response = await fetch(`${platform.baseUrl}/v1/attachments`, {
      method: 'POST',
      headers: { ...(api.token ? { authorization: `Bearer ${api.token}` } : {}), ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const upload = (api: Api, filename: string, bytes: Buffer, field = 'file') => {
    const form = new FormData();
    form.append(field, new Blob([bytes], { type: 'application/octet-stream' }), filename);
    return post(api, form);
  };
  const download = async (api: Api, id: string) => {
    const response = await fetch(`${platform.baseUrl}/v1/attachments/${id}`, { headers: { authorization: `Bearer ${api.token}` } });
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  };
  /** Every file under the attachments directory, incoming uploads included. */
  const storedFiles = () =>
    (fs.readdirSync(attachmentsDir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(attachmentsDir, f)).isFile()).sort();
  const attachmentRows = async () => (await platform.query<{ n: number }>('select count(*)::int as n from attachment'))[0].n;
  /** Runs `attempt` and checks it left no file and no row behind. */
  const leavesNothing = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const [files, rows] = [storedFiles(), await attachmentRows()];
    const result = await attempt();
    expect(storedFiles()).toEqual(files);
    expect(await attachmentRows()).toBe(rows);
    return result;
  };

  test('a PDF, a PNG and a text file are accepted with their size and SHA-256, and kept byte for byte under a generated name', async () => {
    for (const [filename, bytes, contentType] of [
      ['claim form.pdf', PDF, 'application/pdf'],
      ['photo.PNG', PNG, 'image/png'],
      ['notes.txt', TEXT, 'text/plain; charset=utf-8'],
    ] as const) {
      const response = await upload(uploader.api, filename, bytes);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), filename, size: bytes.length, contentType, sha256: sha256(bytes) });
      const onDisk = path.join(attachmentsDir, response.body.id);
      expect(fs.readFileSync(onDisk).equals(bytes)).toBe(true);
      expect(fs.statSync(onDisk).mode & 0o077).toBe(0);
    }
    expect(storedFiles().filter((f) => /claim|photo|notes|\./.test(f))).toEqual([]);
  });

  test('the uploader downloads the same bytes with download-only headers, and the download is audited by id alone', async () => {
    const uploaded = await upload(uploader.api, 'Résumé 2026.pdf', PDF);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.filename).toBe('Résumé 2026.pdf');
    const id = uploaded.body.id;

    const response = await download(uploader.api, id);
    expect(response.status).toBe(200);
    expect(response.bytes.equals(PDF)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-length')).toBe(String(PDF.length));
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="R_sum_ 2026.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, no-store');

    const audit = await platform.query<{ action: string; actor_id: string; details: unknown }>(
      `select action, actor_id, details from audit_event where subject_type = 'attachment' and subject_id = $1 order by created_at`,
      [id],
    );
    expect(audit.map((row) => [row.action, row.actor_id])).toEqual([
      ['attachment.uploaded', uploader.id],
      ['attachment.downloaded', uploader.id],
    ]);
    expect(JSON.stringify(audit)).not.toContain('Résumé');
  });

  test('nobody but the uploader can download: a colleague and another organisation get the same 404 as an unknown id', async () => {
    const mine = (await upload(uploader.api, 'notes.txt', TEXT)).body.id;
    const theirs = (await upload(otherOrg.admin, 'theirs.txt', TEXT)).body.id;
    const unknown = await download(uploader.api, crypto.randomUUID());
    expect(unknown.status).toBe(404);
    for (const [api, id] of [
      [colleague, mine],
      [org.admin, mine],
      [otherOrg.admin, mine],
      [uploader.api, theirs],
    ] as const) {
      const response = await download(api, id);
      expect(response.status).toBe(404);
      expect(response.bytes.toString()).toBe(unknown.bytes.toString());
    }
    const downloads = await platform.query(`select 1 from audit_event where action = 'attachment.downloaded' and subject_id in ($1, $2)`, [mine, theirs]);
    expect(downloads).toEqual([]);
    expect((await download(otherOrg.admin, theirs)).bytes.equals(TEXT)).toBe(true);
  });

  test('Office documents are accepted when content and name agree', async () => {
    const docx = await upload(uploader.api, 'letter.docx', DOCX);
    expect(docx.status).toBe(201);
    expect(docx.body.contentType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const xlsx = await upload(uploader.api, 'budget.xlsx', XLSX);
    expect(xlsx.status).toBe(201);
    expect(xlsx.body.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  });

  test.each([
    ['a PNG named .pdf', 'scan.pdf', PNG, "the content is a PNG image, which does not match the name's .pdf"],
    ['an HTML page', 'page.html', Buffer.from('<!doctype html><script>alert(1)</script>'), '.html files are not allowed'],
    ['HTML named .txt', 'page.txt', Buffer.from('<html><script>alert(1)</script></html>'), 'the content is HTML, SVG or XML markup, which is not allowed'],
    ['an SVG', 'logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), '.svg files are not allowed'],
    ['an executable', 'setup.exe', EXE, '.exe files are not allowed'],
    ['an executable named .pdf', 'invoice.pdf', EXE, 'the content is a Windows executable, which is not allowed'],
    ['binary named .txt', 'notes.txt', Buffer.from([0x68, 0x69, 0x00, 0xff]), 'the content is of an unrecognised type, which is not allowed'],
    ['a workbook named .docx', 'letter.docx', XLSX, "the content is an Excel workbook, which does not match the name's .docx"],
    ['a plain ZIP named .docx', 'letter.docx', PLAIN_ZIP, 'the content is a ZIP archive, which is not allowed'],
  ])('%s is refused with 415 naming file, and nothing is stored', async (_case, filename, bytes, reason) => {
    const response = await leavesNothing(() => upload(uploader.api, filename, bytes));
    expect(response.status).toBe(415);
    expect(response.body.details).toEqual([{ field: 'file', message: expect.stringContaining(reason) }]);
  });

  test('a file one byte over 25 MB is refused with 413 naming file and nothing is stored; exactly 25 MB is accepted', async () => {
    const boundary = 'tidings-test-boundary';
    /** Streams a multipart body holding `size` bytes of text, so the test never holds it whole either. */
    const streamedUpload = (size: number) => {
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let remaining = size;
      let stage: 'head' | 'body' | 'done' = 'head';
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (stage === 'head') {
            controller.enqueue(head);
            stage = 'body';
          } else if (remaining > 0) {
            const piece = chunk.subarray(0, Math.min(chunk.length, remaining));
            remaining -= piece.length;
            controller.enqueue(piece);
          } else if (stage === 'body') {
            controller.enqueue(tail);
            stage = 'done';
          } else {
            controller.close();
          }
        },
      });
      return post(uploader.api, body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    };

    const tooBig = await leavesNothing(() => streamedUpload(MAX_BYTES + 1));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.details).toEqual([{ field: 'file', message: 'must be at most 25 MB' }]);

    const atLimit = await streamedUpload(MAX_BYTES);
    expect(atLimit.status).toBe(201);
    expect(atLimit.body.size).toBe(MAX_BYTES);
    expect(fs.statSync(path.join(attachmentsDir, atLimit.body.id)).size).toBe(MAX_BYTES);
  }, 60_000);

  test('a missing, misnamed, empty or malformed upload is a 400 saying what is wrong, and nothing is stored', async () => {
    const noFile = new FormData();
    noFile.append('note', 'where is the file?');
    const missing = await leavesNothing(() => post(uploader.api, noFile));
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([{ field: 'file', message: 'is required: send the file as multipart/form-data in the field "file"' }]);

    const misnamed = await leavesNothing(() => upload(uploader.api, 'notes.txt', TEXT, 'attachment'));
    expect(misnamed.status).toBe(400);
    expect(misnamed.body.details).toEqual([{ field: 'file', message: 'must be a single file sent in the form field "file"' }]);

    const two = new FormData();
    two.append('file', new Blob([TEXT]), 'one.txt');
    two.append('file', new Blob([TEXT]), 'two.txt');
    const twoFiles = await leavesNothing(() => post(uploader.api, two));
    expect(twoFiles.status).toBe(400);
    expect(twoFiles.body.details[0].field).toBe('file');

    const empty = await leavesNothing(() => upload(uploader.api, 'empty.txt', Buffer.alloc(0)));
    expect(empty.status).toBe(400);
    expect(empty.body.details).toEqual([{ field: 'file', message: 'must not be empty' }]);

    const json = await leavesNothing(() => post(uploader.api, JSON.stringify({ file: 'aGVsbG8=' }), { 'content-type': 'application/json' }));
    expect(json.status).toBe(400);
    expect(json.body.details[0].field).toBe('file');

    const truncated = `--b\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\n\r\nhello, this body never ends`;
    for (const [body, contentType] of [
      [truncated, 'multipart/form-data; boundary=b'],
      ['--b\r\ngarbage', 'multipart/form-data'],
      ['x', 'multipart/form-data; boundary=b'],
    ]) {
      const malformed = await leavesNothing(() => post(uploader.api, body, { 'content-type': contentType }));
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ statusCode: 400, details: [{ field: 'body', message: 'is not a well-formed multipart/form-data body' }] });
    }

    expect((await leavesNothing(() => upload(new Api(platform.baseUrl), 'notes.txt', TEXT))).status).toBe(401);
  });

  test('the client filename is kept only as cleaned-up metadata: no path, no control or bidi characters', async () => {
    const bidi = await upload(uploader.api, '../../evil na\u202Eme.txt', TEXT);
    expect(bidi.status).toBe(201);
    expect(bidi.body.filename).toBe('evil name.txt');

    // Raw control characters are refused by the multipart parser itself; RFC 5987 encoding smuggles them in.
    const body = `--b\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''..%5Cwin%5Cevil%07%0D%0Aname.txt\r\n\r\n${TEXT}\r\n--b--\r\n`;
    const encoded = await post(uploader.api, body, { 'content-type': 'multipart/form-data; boundary=b' });
    expect(encoded.status).toBe(201);
    expect(encoded.body.filename).toBe('evilname.txt');
    expect(storedFiles()).not.toContainEqual(expect.stringContaining('evil'));
  });

  test('the tidings-upload-cleanup schedule deletes uploads never attached after 24 hours, rows and files; attached ones and campaign lists stay', async () => {
    const abandoned = (await upload(colleague, 'draft.txt', TEXT)).body;
    const fresh = (await upload(colleague, 'today.txt', TEXT)).body;
    const sent = (await upload(colleague, 'sent.txt', TEXT)).body;
    const audienceList = (await upload(org.admin, 'audience.csv', Buffer.from('email\nnobody@example.org\n'))).body;
    const started = await colleague.post('/v1/conversations', {
      subject: 'With a file',
      body: '<p>see attached</p>',
      to: [uploader.id],
      attachmentIds: [sent.id],
    });
    expect(started.status).toBe(201);
    // A campaign scheduled days ahead still needs its audience list.
    await platform.query(
      `insert into campaign (id, organization_id, name, title, body, channels, deliver_at, audience, status, workflow_id, created_by_id, created_at)
       select gen_random_uuid(), organization_id, 'List', 't', 'b', '{message_center}', now() + interval '3 days',
              jsonb_build_object('csvAttachmentId', id::text), 'scheduled', 'campaign-' || gen_random_uuid(), uploaded_by_id, now()
         from attachment where id = $1`,
      [audienceList.id],
    );
    const ids = [abandoned.id, sent.id, audienceList.id];
    await platform.query(`update attachment set created_at = now() - interval '25 hours' where id = any($1::uuid[])`, [ids]);
    const storedAt = async (id: string) => (await platform.query<{ stored_at: string }>('select stored_at from attachment where id = $1', [id]))[0]?.stored_at;
    const abandonedFile = await storedAt(abandoned.id);
    expect(storedFiles().some((file) => file.endsWith(abandonedFile))).toBe(true);

    await eventually(async () =>
      expect((await platform.client.schedule.getHandle('tidings-upload-cleanup').describe()).scheduleId).toBe('tidings-upload-cleanup'),
    );
    await platform.client.schedule.getHandle('tidings-upload-cleanup').trigger();

    await eventually(async () => expect(await storedAt(abandoned.id)).toBeUndefined(), 30_000);
    // The file goes right after the row's transaction commits (a file without a row is harmless; the reverse is not).
    await eventually(async () => expect(storedFiles().some((file) => file.endsWith(abandonedFile))).toBe(false), 10_000);
    expect((await colleague.get(`/v1/attachments/${abandoned.id}`)).status).toBe(404);
    for (const kept of [fresh.id, sent.id]) expect(await storedAt(kept)).toBeDefined();
    expect(await storedAt(audienceList.id)).toBeDefined();
    const audit = await platform.query<{ action: string }>('select action from audit_event where subject_id = $1', [abandoned.id]);
    expect(audit.map((row) => row.action)).toContain('attachment.abandoned_deleted');
    const { recentActions } = (await platform.client.schedule.getHandle('tidings-upload-cleanup').describe()).info;
    const run = recentActions[recentActions.length - 1].action.workflow.workflowId;
    await eventually(async () => expect((await platform.client.workflow.getHandle(run).describe()).status.name).toBe('COMPLETED'));
    await recordHistory(platform.temporal.address, run, 'upload-cleanup-deleted-abandoned');
  });
});
