#!/usr/bin/env node
// One AWS call per process, as the original worker's shell loop made one `aws` CLI call per step: a fresh
// runtime starts, loads the SDK, builds a client, makes ONE call, prints the result and exits. The second,
// conservative baseline (BASELINE_STEPS=node in baseline.sh): Node with the SDK starts faster than the
// Python AWS CLI the original ran, which is the first baseline.
//
//   aws-step.cjs receive <queueUrl>     -> like `aws sqs receive-message --query Messages[0].[Body,ReceiptHandle]`:
//                                          a JSON array [body, receipt handle], or nothing when the queue is empty
//   aws-step.cjs get <bucket> <key> <file>
//   aws-step.cjs put <bucket> <key> <file> <contentType>
//   aws-step.cjs delete <queueUrl> <receiptHandle>
'use strict';
const fs = require('fs');
const [command, ...args] = process.argv.slice(2);

async function main() {
  if (command === 'receive' || command === 'delete') {
    const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = require('@aws-sdk/client-sqs');
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    if (command === 'receive') {
      const result = await sqs.send(new ReceiveMessageCommand({ QueueUrl: args[0], MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
      const message = result.Messages && result.Messages[0];
      if (message) process.stdout.write(`${JSON.stringify([message.Body, message.ReceiptHandle], null, 4)}\n`);
    } else {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: args[0], ReceiptHandle: args[1] }));
    }
    return;
  }
  const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
  const s3 = new S3Client({});
  if (command === 'get') {
    const result = await s3.send(new GetObjectCommand({ Bucket: args[0], Key: args[1] }));
    fs.writeFileSync(args[2], Buffer.from(await result.Body.transformToByteArray()));
  } else if (command === 'put') {
    await s3.send(new PutObjectCommand({ Bucket: args[0], Key: args[1], Body: fs.readFileSync(args[2]), ContentType: args[3] }));
  } else {
    throw new Error(`unknown step ${command}`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
