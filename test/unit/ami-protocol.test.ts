/**
 * AMI client behaviour that a healthy Asterisk rarely shows, against a scripted AMI peer on
 * loopback: responses out of order, a response that never comes (timeout, and the late
 * answer dropped), lists, and the connection dropping mid-action.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AmiClient, parseMessage } from '../../cti/ami/client.ts';

const test = suite('AMI protocol');
let server: Server;
let port = 0;
let peer: Socket | null = null;
const held: Record<string, string>[] = [];

test.before(async () => {
  server = createServer((socket) => {
    peer = socket;
    socket.write('Asterisk Call Manager/11.0.0\r\n');
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const msg = parseMessage(buf.slice(0, end));
        buf = buf.slice(end + 4);
        const id = msg.ActionID;
        if (msg.Action === 'Login')
          socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
        else if (msg.Action === 'Hold') held.push(msg);
        else if (msg.Action === 'Release') {
          // Answer the held actions in reverse order.
          for (const h of held.splice(0).reverse())
            socket.write(`Response: Success\r\nActionID: ${h.ActionID}\r\nValue: ${h.Value}\r\n\r\n`);
          socket.write(`Response: Success\r\nActionID: ${id}\r\n\r\n`);
        } else if (msg.Action === 'List')
          socket.write(
            `Response: Success\r\nActionID: ${id}\r\nEventList: start\r\n\r\nEvent: Item\r\nActionID: ${id}\r\nName: a\r\n\r\nEvent: Unrelated\r\nPrivilege: call,all\r\n\r\nEvent: Item\r\nActionID: ${id}\r\nName: b\r\n\r\nEvent: ListComplete\r\nActionID: ${id}\r\nEventList: Complete\r\n\r\n`,
          );
        else if (msg.Action === 'Command')
          socket.write(`Response: Success\r\nActionID: ${id}\r\nOutput: line 1\r\nOutput: line 2\r\n\r\n`);
        else if (msg.Action === 'Drop') socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

const client = () =>
  new AmiClient({
    host: '127.0.0.1',
    port,
    username: 'u',
    secret: 's',
    reconnect: false,
    actionTimeoutMs: 2000,
  });

test('responses arriving out of order reach the action that asked', async () => {
  const ami = client();
  await ami.connect();
  const a = ami.action('Hold', { Value: 'first' });
  const b = ami.action('Hold', { Value: 'second' });
  await new Promise((r) => setTimeout(r, 50));
  await ami.action('Release');
  assert.is((await a).response.Value, 'first');
  assert.is((await b).response.Value, 'second');
  await ami.close();
});

test('a list action collects its events; other events still reach listeners; repeated keys join', async () => {
  const ami = client();
  await ami.connect();
  const seen: string[] = [];
  ami.on('event', (e) => seen.push(e.Event ?? ''));
  const list = await ami.action('List');
  assert.equal(
    list.events.map((e) => e.Name),
    ['a', 'b'],
  );
  assert.equal(seen, ['Unrelated']);
  assert.is(await ami.command('anything'), 'line 1\nline 2');
  await ami.close();
});

test('an unanswered action times out, and its late answer is dropped', async () => {
  const ami = client();
  await ami.connect();
  let err: unknown = null;
  try {
    await ami.action('Hold', { Value: 'late' }, 100);
  } catch (e) {
    err = e;
  }
  assert.match(String(err), 'timed out after 100 ms');
  const next = ami.action('Hold', { Value: 'next' });
  await ami.action('Release');
  assert.is((await next).response.Value, 'next');
  await ami.close();
});

test('a dropped connection fails pending actions at once', async () => {
  const ami = client();
  await ami.connect();
  const pending = ami.action('Hold', { Value: 'x' }, 5000);
  const started = Date.now();
  peer?.destroy();
  let err: unknown = null;
  try {
    await pending;
  } catch (e) {
    err = e;
  }
  assert.match(String(err), 'closed');
  assert.ok(Date.now() - started < 1000);
  held.splice(0);
});

test.run();
