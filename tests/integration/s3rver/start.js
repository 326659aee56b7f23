// Starts @20minutes/s3rver (verifies SigV4 signatures; key pair S3RVER / S3RVER) for the
// integration tests:  node start.js PORT DIRECTORY BUCKET
// Listens on 127.0.0.1 only. Prints "listening PORT" on stdout once ready (PORT 0: any free
// port, the real one printed). Stops on SIGTERM/SIGINT.
'use strict';
const S3rver = require('@20minutes/s3rver');

const [port, directory, bucket] = process.argv.slice(2);
if (port === undefined || !directory || !bucket) {
  console.error('usage: node start.js PORT DIRECTORY BUCKET');
  process.exit(64);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
server.run().then(({ port: actual }) => {
  process.stdout.write(`listening ${actual}\n`);
}, (err) => {
  console.error(`s3rver failed to start: ${err.message}`);
  process.exit(1);
});
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
