import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../libs/config/app-config.js';

describe('ATTACHMENTS_DIR', () => {
  test('defaults to .data/attachments and resolves relative paths against the working directory', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).attachmentsDir).toBe(path.join(process.cwd(), '.data/attachments'));
    expect(loadConfig({ NODE_ENV: 'test', ATTACHMENTS_DIR: 'uploads/here' }).attachmentsDir).toBe(path.join(process.cwd(), 'uploads/here'));
  });

  test('refuses a file, a path through a file, and the filesystem root, with the other problems', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-config-')), 'not-a-directory');
    fs.writeFileSync(file, '');
    try {
      expect(() => loadConfig({ NODE_ENV: 'test', ATTACHMENTS_DIR: file, PORT: 'x' })).toThrow(
        expect.objectContaining({
          problems: [`ATTACHMENTS_DIR must be a directory (got "${file}", which is not)`, 'PORT must be an integer from 0 to 65535 (got "x")'],
        }),
      );
      expect(() => loadConfig({ NODE_ENV: 'test', ATTACHMENTS_DIR: path.join(file, 'inside') })).toThrow('ATTACHMENTS_DIR cannot be created');
      expect(() => loadConfig({ NODE_ENV: 'test', ATTACHMENTS_DIR: '/' })).toThrow('ATTACHMENTS_DIR must not be the filesystem root');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });
});
