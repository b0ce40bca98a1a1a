import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ImageApiError } from './errors';
import { ObjectStore } from './originals';

/**
 * The ObjectStore on S3. Presigned URLs sign with the function's own credentials; its role may PUT under the
 * source prefix and GET under the output prefix only through query-string-signed requests younger than an
 * hour (see lib/image-processing-api/originals.ts), so the function itself reads only originals and writes
 * only results.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly s3: S3Client;

  constructor(private readonly bucket: string, client?: S3Client) {
    // No flexible checksums on presigned URLs: the SDK would sign the CRC of an empty body into the PUT URL.
    this.s3 = client ?? new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  }

  uploadUrl(key: string, contentType: string, contentLength: number, expiresIn: number): Promise<string> {
    // Content-Type, Content-Length and If-None-Match are signed headers: S3 refuses a PUT with another type or
    // size, and (If-None-Match: *) a replay once the key exists.
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: contentLength, IfNoneMatch: '*' });
    return getSignedUrl(this.s3, command, { expiresIn, signableHeaders: new Set(['content-type', 'content-length', 'if-none-match']) });
  }

  async read(key: string, maxBytes: number): Promise<Buffer | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if ((response.ContentLength ?? 0) > maxBytes) {
        response.Body?.transformToWebStream?.().cancel().catch(() => undefined);
        throw new ImageApiError(413, 'image_too_large', `The original has ${response.ContentLength} bytes; at most ${maxBytes} are processed`, { limit: 'maxSourceBytes' });
      }
      const bytes = await response.Body!.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
      throw error;
    }
  }

  async write(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }));
  }

  downloadUrl(key: string, expiresIn: number, fileName: string): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: `inline; filename="${fileName}"` });
    return getSignedUrl(this.s3, command, { expiresIn });
  }
}
