import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { ContentInspection, ContentInspector } from './content-sniffer.js';

/** An upload as it arrives, before anything decided it may stay. */
export interface IncomingUpload {
  fieldname: string;
  originalname: string;
  path: string;
  size: number;
  sha256: string;
  inspection: ContentInspection;
}

/** Uploads land here first; it sits inside the attachments directory so keeping one is an atomic rename. */
const INCOMING_DIR = '.incoming';
/** An incoming file this old was left by a crash: no request takes a day. */
const STALE_INCOMING_MS = 24 * 3600_000;
const STORAGE_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Callback<T = void> = (error: Error | null, result?: T) => void;

/** The attachments directory: generated names only, readable and writable by this process alone. */
@Injectable()
export class AttachmentStorage implements OnModuleInit {
  private readonly logger = new Logger(AttachmentStorage.name);
  private readonly root: string;
  private readonly incoming: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = config.attachmentsDir;
    this.incoming = path.join(this.root, INCOMING_DIR);
  }

  async onModuleInit(): Promise<void> {
    try {
      await fs.promises.mkdir(this.incoming, { recursive: true, mode: 0o700 });
      await fs.promises.access(this.root, fs.constants.W_OK);
      await fs.promises.access(this.incoming, fs.constants.W_OK);
    } catch (error) {
      throw new Error(`ATTACHMENTS_DIR ${this.root} cannot be created or written: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
    }
    const now = Date.now();
    for (const name of await fs.promises.readdir(this.incoming)) {
      const leftover = path.join(this.incoming, name);
      const stat = await fs.promises.stat(leftover).catch(() => null);
      if (stat && now - stat.mtimeMs > STALE_INCOMING_MS) await fs.promises.rm(leftover, { force: true });
    }
  }

  /**
   * A multer storage engine: streams the file into the incoming directory under a random name, hashing
   * and inspecting each chunk on the way, so a 25 MB upload is never held in memory.
   */
  readonly incomingEngine = {
    _handleFile: (_request: unknown, file: { stream: Readable; path?: string }, callback: Callback<Partial<IncomingUpload>>) => {
      const target = path.join(this.incoming, randomUUID());
      // Set before writing so that multer, if the request fails meanwhile, knows what to remove.
      file.path = target;
      const hash = createHash('sha256');
      const inspector = new ContentInspector();
      let size = 0;
      const observe = new Transform({
        transform(chunk: Buffer, _encoding, next) {
          size += chunk.length;
          hash.update(chunk);
          inspector.update(chunk);
          next(null, chunk);
        },
      });
      pipeline(file.stream, observe, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }), (error) => {
        if (error) {
          fs.rm(target, { force: true }, () => callback(error));
          return;
        }
        callback(null, { path: target, size, sha256: hash.digest('hex'), inspection: inspector.finish() });
      });
    },
    _removeFile: (_request: unknown, file: { path?: string }, callback: Callback) => {
      if (!file.path) return callback(null);
      fs.rm(file.path, { force: true }, (error) => callback(error));
    },
  };

  /** Moves an accepted upload to its permanent name. */
  async keep(upload: IncomingUpload, key: string): Promise<void> {
    await fs.promises.rename(upload.path, this.pathOf(key));
  }

  /** Removes an upload's incoming file; nothing happens if it was kept. */
  async discard(upload: IncomingUpload): Promise<void> {
    if (path.dirname(upload.path) !== this.incoming) return;
    await fs.promises.rm(upload.path, { force: true }).catch((error) => this.logger.error(`could not remove an incoming upload: ${error.code ?? error}`));
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  /** Opens the file before any header is sent, so a missing file is an error rather than a truncated download. */
  async open(key: string): Promise<{ stream: Readable; size: number }> {
    const handle = await fs.promises.open(this.pathOf(key), 'r');
    try {
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private pathOf(key: string): string {
    if (!STORAGE_KEY.test(key)) throw new Error('not an attachment storage key');
    return path.join(this.root, key);
  }
}
