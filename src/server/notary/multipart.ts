/**
 * The body of `POST /v2/<gun>/_trust/tuf/`: multipart/form-data with one part
 * per role file, the role in the part's `filename` (`root`, `targets/releases`;
 * a `.json` suffix is dropped, as notary-server does). Parsed with busboy
 * from the already-capped buffer.
 */
import busboy from 'busboy';
import { NotaryServerError } from './errors.js';

export interface UploadedFile {
  readonly role: string;
  readonly data: Buffer;
}

export function parseMultipart(contentType: string | undefined, body: Buffer): Promise<UploadedFile[]> {
  return new Promise((resolve, reject) => {
    if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) {
      reject(new NotaryServerError('MALFORMED_UPLOAD'));
      return;
    }
    let parser: busboy.Busboy;
    try {
      // preservePath: the filename of a delegation is a path (`targets/releases`), which busboy would cut to `releases`.
      parser = busboy({ headers: { 'content-type': contentType }, preservePath: true, limits: { files: 64, fields: 0, parts: 64 } });
    } catch {
      reject(new NotaryServerError('MALFORMED_UPLOAD'));
      return;
    }
    const files: Array<Promise<UploadedFile>> = [];
    let failure: NotaryServerError | undefined;
    parser.on('file', (_name, stream, info) => {
      const role = (info.filename ?? '').replace(/\.json$/, '');
      if (!role) failure ??= new NotaryServerError('NO_FILENAME');
      const chunks: Buffer[] = [];
      files.push(
        new Promise((done, fail) => {
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => done({ role, data: Buffer.concat(chunks) }));
          stream.on('error', fail);
        }),
      );
    });
    parser.on('filesLimit', () => (failure ??= new NotaryServerError('MALFORMED_UPLOAD')));
    parser.on('partsLimit', () => (failure ??= new NotaryServerError('MALFORMED_UPLOAD')));
    parser.on('error', () => reject(new NotaryServerError('MALFORMED_UPLOAD')));
    parser.on('close', () => {
      if (failure) {
        reject(failure);
        return;
      }
      Promise.all(files).then(resolve, () => reject(new NotaryServerError('MALFORMED_UPLOAD')));
    });
    parser.end(body);
  });
}
