// The benchmark's target, in a process of its own (its CPU is not the clients'): the local image API with
// the Lambda bundle. Prints its API URL on the first line and serves until killed.
import { startLocalImageApi } from '../../bin/image-api-local';

startLocalImageApi({ port: 0, useAsset: true }).then((api) => process.stdout.write(`${api.apiUrl}\n`));
