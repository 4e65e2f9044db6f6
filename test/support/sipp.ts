/**
 * SIPp (Debian `sip-tester`) as a caller on the carrier side of a trunk, or as the carrier
 * answering our outbound calls. Scenarios are written per test; the run resolves with SIPp's
 * exit code (0 = every call ran as scripted) and the SIP messages it exchanged.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippRun {
  code: number | null;
  output: string;
  /** Every SIP message sent and received (-trace_msg). */
  messages: string;
}

export interface SippOptions {
  scenario: string;
  /** Local SIP port SIPp sends from (the trunk recognises the carrier by it). */
  port: number;
  /** The PBX's SIP port on 127.0.0.1 (client scenarios). */
  remotePort?: number;
  /** Request-URI user (the dialled number) for client scenarios. */
  service?: string;
  callerNumber?: string;
  timeoutSeconds?: number;
  /** Calls to place (client scenarios), `periodMs` apart. */
  calls?: number;
  periodMs?: number;
  /** The loopback address SIPp sends from (default 127.0.0.1; any of 127/8 works on Linux). */
  localIp?: string;
}

export function runSipp(o: SippOptions): { done: Promise<SippRun>; stop(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  writeFileSync(join(dir, 'scenario.xml'), o.scenario);
  const args = [
    '-key',
    'caller',
    o.callerNumber ?? '13800000000',
    '-sf',
    join(dir, 'scenario.xml'),
    '-i',
    o.localIp ?? '127.0.0.1',
    '-p',
    String(o.port),
    '-m',
    String(o.calls ?? 1),
    '-l',
    String(o.calls ?? 1),
    '-r',
    '1',
    '-rp',
    String(o.periodMs ?? 1000),
    '-timeout',
    String(o.timeoutSeconds ?? 30),
    '-timeout_error',
    '-nostdin',
    '-trace_msg',
    '-message_file',
    join(dir, 'messages.log'),
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
  ];
  if (o.service) args.push('-s', o.service);
  if (o.remotePort) args.push(`127.0.0.1:${o.remotePort}`);
  const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch {
      return '';
    }
  };
  const done = new Promise<SippRun>((resolve) => {
    proc.once('exit', (code) => {
      const run = {
        code,
        output: `${output.slice(-1500)}\n${read('errors.log')}`,
        messages: read('messages.log'),
      };
      rmSync(dir, { recursive: true, force: true });
      resolve(run);
    });
  });
  return { done, stop: () => proc.kill('SIGKILL') };
}

/** SIPp's side of the media: G.711 A-law (and μ-law in offers). */
const sdp = `      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
`;

const invite = `  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:[caller]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${sdp}    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
`;

/** An in-dialog request without a body from the caller (ACK, BYE, CANCEL). */
const request = (
  method: string,
  cseq: number,
  opts: { retrans?: boolean; branch?: string; toTag?: boolean } = {},
) => `  <send${opts.retrans ? ' retrans="500"' : ''}>
    <![CDATA[
      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${opts.branch ?? '[branch]'}
      From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>${opts.toTag === false ? '' : '[peer_tag_param]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;
const ack = request('ACK', 1);

/** The other side hangs up: take its BYE and confirm it. */
const answerBye = `  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
`;

const wrap = (name: string, body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}</scenario>
`;

/** A caller that is answered, talks for `talkMs`, and hangs up. */
export function answeredCall(talkMs: number): string {
  return wrap(
    'answered call',
    `${invite}  <recv response="200" rtd="true"/>
${ack}  <pause milliseconds="${talkMs}"/>
${request('BYE', 2, { retrans: true })}  <recv response="200"/>
`,
  );
}

/** Callers that are either answered (and talk for `talkMs`) or turned away with 486 busy. */
export function answeredOrBusy(talkMs: number): string {
  const answered = answeredCall(talkMs)
    .split('<scenario name="answered call">')[1]!
    .replace('</scenario>', '');
  return wrap(
    'answered or busy',
    answered.replace(
      '<recv response="200" rtd="true"/>',
      `<recv response="486" optional="true" next="1"/>
  <recv response="200" rtd="true"/>`,
    ) +
      `  <nop next="2"/>
  <label id="1"/>
${ack}  <label id="2"/>
`,
  );
}

/** A caller that expects the call to be turned away with `code`. */
export function refusedCall(code: number): string {
  return wrap('refused call', `${invite}  <recv response="${code}"/>\n${ack}`);
}

/** A caller that hangs up (CANCEL) after hearing ringing for `afterMs`. */
export function cancelledCall(afterMs: number): string {
  return wrap(
    'caller hangs up while ringing',
    `${invite.replace('<recv response="180" optional="true"/>', '<recv response="180"/>').replace('  <recv response="183" optional="true"/>\n', '')}  <pause milliseconds="${afterMs}"/>
${request('CANCEL', 1, { branch: '[branch-4]', toTag: false })}  <recv response="200"/>
  <recv response="487"/>
${ack}`,
  );
}

/** The carrier side: answers one INVITE and waits for the BYE. */
export function carrierAnswers(): string {
  return wrap(
    'carrier answers',
    `  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

${sdp}    ]]>
  </send>
  <recv request="ACK"/>
${answerBye}`,
  );
}

/**
 * A phone registering as `service` with a password that is wrong: REGISTER, the 401 challenge,
 * REGISTER with credentials, and the refusal (401 again or 403).
 */
export function badRegister(username: string, password: string): string {
  const register = (cseq: number, auth: string) => `  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 60
${auth}      Content-Length: 0
    ]]>
  </send>
`;
  return wrap(
    'wrong password',
    `${register(1, '')}  <recv response="401" auth="true"/>
${register(2, `      [authentication username=${username} password=${password}]\n`)}  <recv response="403" optional="true" next="done"/>
  <recv response="401"/>
  <label id="done"/>
`,
  );
}

/**
 * The carrier's registrar: challenges the REGISTER, checks the digest against the account it
 * expects, and answers 200 OK (right credentials) or 403 Forbidden (wrong ones).
 */
export function registrar(username: string, password: string): string {
  const reply = (status: string, extra: string) => `  <send>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
${extra}      Content-Length: 0
    ]]>
  </send>
`;
  return wrap(
    'registrar',
    `  <recv request="REGISTER"/>
${reply('401 Unauthorized', '      WWW-Authenticate: Digest realm="carrier.example", nonce="47364c23432d2e131a5fb210812c", algorithm=MD5\n')}  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="${username}" password="${password}"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
${reply('403 Forbidden', '')}  <nop next="end"/>
  <label id="good"/>
${reply('200 OK', '      [last_Contact:];expires=300\n')}  <label id="end"/>
`,
  );
}

/** What an IVR caller does after the call is answered. */
export type CallerStep =
  | { pause: number }
  /** A key sent as SIP INFO (application/dtmf-relay). */
  | { info: string }
  /** A key sent in the media as RFC 4733 telephone-event (SIPp's shipped pcap). */
  | { rfc2833: string }
  /** The caller starts speaking: about 7 s of G.711 A-law speech (SIPp's shipped pcap), in the background. */
  | { speak: true };

const sdpWithEvents = `      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
`;

/** A key sent as SIP INFO (application/dtmf-relay) in the caller's dialog, and its 200. */
const infoKey = (cseq: number, key: string) => `  <send retrans="500">
    <![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${key}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
`;

const pcapName = (key: string) => (key === '#' ? 'pound' : key === '*' ? 'star' : key);

/**
 * A caller into an IVR: is answered, does `steps` (pauses, keys by SIP INFO or RFC 4733), then
 * either hangs up itself or waits for the system to hang up (`until: 'bye'`).
 */
export function ivrCaller(steps: CallerStep[], until: 'hangup' | 'bye'): string {
  let cseq = 1;
  const body = steps
    .map((step) => {
      if ('pause' in step) return `  <pause milliseconds="${step.pause}"/>\n`;
      if ('speak' in step)
        return '  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>\n';
      if ('rfc2833' in step)
        return `  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${pcapName(step.rfc2833)}.pcap"/></action></nop>\n  <pause milliseconds="400"/>\n`;
      cseq++;
      return infoKey(cseq, step.info);
    })
    .join('');
  const end =
    until === 'hangup'
      ? `${request('BYE', cseq + 1, { retrans: true })}  <recv response="200" crlf="true"/>\n`
      : answerBye;
  return wrap(
    'IVR caller',
    `${invite.replace(sdp, sdpWithEvents)}  <recv response="200" rtd="true"/>
${ack}${body}${end}`,
  );
}

/**
 * A caller with patience (the soak): answered, presses `key` after `keyAfterMs`, then waits for
 * the system to hang up for at most `patienceMs`; if it has not, presses `rating` (a key only
 * the survey listens to) and waits `lastWaitMs` more, then hangs up itself. Either way the run
 * ends well. With `hangupAfterMs` instead, it hangs up that long after the answer, keying nothing.
 */
export function patientCaller(
  o:
    | { hangupAfterMs: number }
    | { keyAfterMs: number; key: string; patienceMs: number; rating: string; lastWaitMs: number },
): string {
  const answered = `${invite.replace(sdp, sdpWithEvents)}  <recv response="200" rtd="true"/>\n${ack}`;
  const bye = (cseq: number) => `${request('BYE', cseq, { retrans: true })}  <recv response="200"/>\n`;
  if ('hangupAfterMs' in o)
    return wrap('patient caller', `${answered}  <pause milliseconds="${o.hangupAfterMs}"/>\n${bye(2)}`);
  return wrap(
    'patient caller',
    `${answered}  <pause milliseconds="${o.keyAfterMs}"/>
${infoKey(2, o.key)}  <recv request="BYE" timeout="${o.patienceMs}" ontimeout="late"/>
${answerBye.replace('  <recv request="BYE"/>\n', '')}  <nop next="end"/>
  <label id="late"/>
${infoKey(3, o.rating)}  <recv request="BYE" timeout="${o.lastWaitMs}" ontimeout="hang"/>
${answerBye.replace('  <recv request="BYE"/>\n', '')}  <nop next="end"/>
  <label id="hang"/>
${bye(4)}  <label id="end"/>
`,
  );
}
