import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImageProcessingApi } from '../../lib';

describe('ImageProcessingApi refusals name the prop and the fix', () => {
  it("refuses a siteBucket from another stack, naming `siteBucket`, before CDK's cyclic-reference error", () => {
    const app = new App();
    const storage = new Stack(app, 'Storage');
    const bucket = new s3.Bucket(storage, 'Site');
    const stack = new Stack(app, 'Images');
    expect(() => new ImageProcessingApi(stack, 'Images', { siteBucket: bucket })).toThrow(/`siteBucket` \(Storage\/Site\) belongs to stack Storage.*fromBucketName/s);
  });

  it('accepts the same bucket imported by name into its own stack', () => {
    const app = new App();
    new s3.Bucket(new Stack(app, 'Storage'), 'Site', { bucketName: 'my-image-site' });
    const stack = new Stack(app, 'Images');
    new ImageProcessingApi(stack, 'Images', { siteBucket: s3.Bucket.fromBucketName(stack, 'Site', 'my-image-site') });
    expect(() => app.synth()).not.toThrow();
  });
});
