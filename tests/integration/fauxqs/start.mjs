// Starts fauxqs (an SQS and SNS emulator) for the integration tests:  node start.mjs INIT.json
// INIT.json names the queues, topics and subscriptions (fauxqs's init format). Listens on
// 127.0.0.1 only, on a free port; prints "listening PORT" once ready. Stops on SIGTERM/SIGINT.
import net from 'node:net';
import { startFauxqs } from 'fauxqs';

// fauxqs 1.9 always listens on 0.0.0.0: keep the emulator off every other interface.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] !== null && typeof args[0] === 'object') args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};

const [init] = process.argv.slice(2);
if (!init) {
  console.error('usage: node start.mjs INIT.json');
  process.exit(64);
}
const server = await startFauxqs({ port: 0, logger: false, init, defaultRegion: 'us-east-1' });
process.stdout.write(`listening ${server.port}\n`);
const stop = () => Promise.resolve(server.stop()).finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
