/**
 * SIPp scenarios of the ACD load benchmark, generated here so that both systems (the product's
 * CTI and the app_queue baseline) are driven by the very same messages:
 *
 * - `registerAgents`: one SIPp call that registers every agent's account (digest auth, literal
 *   credentials per REGISTER) from one port; the agents' phone then answers on that port;
 * - `agentPhones`: the agents' phones (one SIPp UAS for all of them, on the port they registered
 *   from): answer every INVITE at once, talk for a while and hang up;
 * - `caller`: a caller from the carrier into the hotline: is answered by the IVR, presses 1 by
 *   SIP INFO during the prompt, then waits until the agent hangs up (or gives up).
 *
 * Every scenario writes one `<log>` line per step that matters, `what|number|...|[timestamp]`;
 * SIPp 3.6.1's [timestamp] is the wall clock (`date<TAB>time<TAB>epoch.micro`), so lines from
 * different SIPp processes on this machine compare ([clock_tick] counts from each process's start).
 */

const wrap = (name: string, body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}</scenario>
`;

const logAction = (message: string) => `<log message="${message}|[timestamp]"/>`;
const log = (message: string) => `  <nop><action>${logAction(message)}</action></nop>\n`;
/**
 * A recv whose actions log and/or play: SIPp takes a message that arrives while the call still
 * sits at a following <nop> as unexpected (the message after an ACK can come within a
 * millisecond), so what happens on a message is done in that recv's own actions.
 */
const recvDoing = (what: string, actions: string[]) =>
  actions.join('') === ''
    ? `  <recv ${what}/>\n`
    : `  <recv ${what}><action>${actions.join('')}</action></recv>\n`;

/** SIPp's side of the media: G.711 A-law (the shipped speech pcap is A-law), μ-law offered too. */
const sdp = `      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
`;

/** About 7 s of speech shipped with Debian's sip-tester. */
export const speechPcap = '/usr/share/sip-tester/g711a.pcap';
const playSpeech = `<exec play_pcap_audio="${speechPcap}"/>`;

export interface AgentAccountLine {
  username: string;
  password: string;
}

/**
 * Registers every account in turn within one SIPp call (same Call-ID, rising CSeq), then stays
 * a moment so that the first qualify OPTIONS of each contact are answered (run it with -aa).
 */
export function registerAgents(accounts: readonly AgentAccountLine[], expires: number): string {
  let cseq = 0;
  const register = (username: string, auth: string) => {
    cseq++;
    return `  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${username}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]r${cseq}
      To: <sip:${username}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:${username}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: ${expires}
      User-Agent: acd-load-bench
${auth}      Content-Length: 0
    ]]>
  </send>
`;
  };
  const body = accounts
    .map(
      (a) => `${register(a.username, '')}  <recv response="401" auth="true"/>
${register(a.username, `      [authentication username=${a.username} password=${a.password}]\n`)}  <recv response="200"/>
`,
    )
    .join('');
  return wrap('register agents', `${body}  <pause milliseconds="1000"/>\n`);
}

/** Answers a re-INVITE (Asterisk updates the session or the connected line after the answer). */
const answerReinvite = (contactUser: string) => `  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:${contactUser}@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

${sdp}    ]]>
  </send>
  <recv request="ACK"/>
`;

/**
 * The agents' phones: answer each INVITE at once (180 then 200), send speech when `rtp`, hang
 * up after `talkMs` (a re-INVITE during the talk is answered and the talk time starts again:
 * Asterisk sends one right after the answer). Logs `inv|caller|agent`, `ack|caller|agent`,
 * `bye|caller|agent` (BYE about to be sent), `end|caller|agent` (its 200 received) and
 * `hungup|caller|agent` (the PBX hung up first). The caller's number is the user of From (the
 * product and app_queue both present the customer's number to the agent).
 */
export function agentPhones(talkMs: number, rtp: boolean): string {
  const reply = (status: string, body: boolean) => `  <send${body ? ' retrans="500"' : ''}>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$agent]@[local_ip]:[local_port];transport=[transport]>
${body ? `      Content-Type: application/sdp\n      Content-Length: [len]\n\n${sdp}` : '      Content-Length: 0\n'}    ]]>
  </send>
`;
  return wrap(
    'agent phones',
    `  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="sip:([^@;>]+)@" search_in="hdr" header="From:" check_it="true" assign_to="fm,caller"/>
      <ereg regexp="sip:([^@;>]+)@" search_in="hdr" header="To:" check_it="true" assign_to="tm,agent"/>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="local"/>
      ${logAction('inv|[$caller]|[$agent]')}
      <assignstr assign_to="unused" value="[$fm][$tm]"/>
    </action>
  </recv>
${reply('180 Ringing', false)}${reply('200 OK', true)}${recvDoing('request="ACK"', [logAction('ack|[$caller]|[$agent]'), rtp ? playSpeech : ''])}  <label id="talk"/>
  <recv request="INVITE" optional="true" timeout="${talkMs}" ontimeout="hangup" next="reinvite"/>
${recvDoing('request="BYE"', [logAction('hungup|[$caller]|[$agent]')])}  <send>
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
  <nop next="done"/>
  <label id="reinvite"/>
${answerReinvite('[$agent]')}  <nop next="talk"/>
  <label id="hangup"/>
${log('bye|[$caller]|[$agent]')}  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$local];tag=[pid]SIPpTag01[call_number]
      To: [$remote]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
${recvDoing('response="200" crlf="true"', [logAction('end|[$caller]|[$agent]')])}  <label id="done"/>
  <nop hide="true"><action><assignstr assign_to="unused" value="[$unused]"/></action></nop>
`,
  );
}

/**
 * A caller (number from the injection file's field0): INVITE to the hotline, answered by the
 * IVR, presses 1 by SIP INFO `keyAfterMs` after the answer (during the menu prompt: barge-in),
 * then waits for the BYE that ends the call when the agent hangs up. Without it after
 * `waitMs` the caller gives up and hangs up itself. Logs `call` (INVITE sent), `ans` (200),
 * `key` (just before the INFO is sent: SIPp wants a retransmitted request's answer next), `bye` (the system's BYE), `gaveup`.
 */
export function caller(keyAfterMs: number, waitMs: number, rtp: boolean): string {
  // ACK is never retransmitted (nothing answers it); INFO and BYE are until answered.
  const inDialog = (
    method: string,
    cseq: number,
    extra: string,
    body: string,
  ) => `  <send${method === 'ACK' ? '' : ' retrans="500"'}>
    <![CDATA[
      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70
${extra}      Content-Length: ${body === '' ? '0' : '[len]'}
${body === '' ? '' : `\n${body}`}    ]]>
  </send>
`;
  return wrap(
    'caller',
    `${log('call|[field0]')}  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:[field0]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${sdp}    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
${recvDoing('response="200" rtd="true"', [logAction('ans|[field0]')])}${inDialog('ACK', 1, '', '')}  <pause milliseconds="${keyAfterMs}"/>
${log('key|[field0]')}${inDialog('INFO', 2, '      Content-Type: application/dtmf-relay\n', '      Signal=1\n      Duration=160\n')}${recvDoing('response="200"', [rtp ? playSpeech : ''])}  <label id="wait"/>
  <recv request="INVITE" optional="true" timeout="${waitMs}" ontimeout="gaveup" next="reinvite"/>
${recvDoing('request="BYE"', [logAction('bye|[field0]')])}  <send>
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
  <nop next="done"/>
  <label id="reinvite"/>
${answerReinvite('[field0]')}  <nop next="wait"/>
  <label id="gaveup"/>
${log('gaveup|[field0]')}${inDialog('BYE', 3, '', '')}  <recv response="200"/>
  <label id="done"/>
`,
  );
}
