/**
 * The contract between the dialplan the product renders (pbx/config) and the CTI, in one place:
 * the Stasis application's name, the kinds of call that enter it, the endpoint names of trunks,
 * the music-on-hold classes, and the channel variables every leg carries. pbx renders from these;
 * cti reads channels and events by them.
 */

/** The Stasis application every call enters (extensions.conf) and the ARI client subscribes. */
export const stasisApp = 'callcenter';

/**
 * What a channel entering the application is, its first Stasis argument: a call from a trunk,
 * an agent's phone dialling, a leg or snoop the CTI created itself, the dialer's calls.
 */
export const stasisKinds = ['inbound', 'agent', 'leg', 'snoop', 'dialer'] as const;
export type StasisKind = (typeof stasisKinds)[number];

/** The PJSIP endpoint of a trunk, and the trunk id of a channel on one. */
export const trunkEndpoint = (trunkId: number): string => `trunk-${trunkId}`;
export const isTrunkEndpoint = (endpoint: string): boolean => /^trunk-\d+$/.test(endpoint);
export function trunkIdOfChannel(channelName: string): number | null {
  const m = /^PJSIP\/trunk-(\d+)-/.exec(channelName);
  return m ? Number(m[1]) : null;
}
/** The endpoint a PJSIP channel belongs to (`PJSIP/<endpoint>-<id>`). */
export function endpointOfChannel(channelName: string): string | null {
  return /^PJSIP\/(.+)-[0-9a-f]+$/.exec(channelName)?.[1] ?? null;
}

/** The default music on hold, and the class that plays a prompt in a loop (musiconhold.conf). */
export const defaultMohClass = 'default';
export const promptMohClass = (promptId: number): string => `prompt-${promptId}`;

/**
 * Channel variables every leg carries (ari.conf `channelvars` puts them into every channel
 * object): the call it belongs to and its role in it, so a restarted CTI rebuilds its calls.
 */
export const channelVars = { callId: 'CC_CALL_ID', role: 'CC_ROLE', userId: 'CC_USER_ID' } as const;

/** A channel's value of one of those variables ('' when it has none). */
export function channelVar(
  channel: { channelvars?: Record<string, unknown> },
  name: keyof typeof channelVars,
): string {
  return String(channel.channelvars?.[channelVars[name]] ?? '');
}

/**
 * Whether a value can stand in an Asterisk configuration file as it is: its parser starts a
 * comment at `;`, ends the line at a line break and trims spaces around a value, so such a value
 * would silently change (a carrier password with `;` would be cut). `[` and `=` inside a value
 * are read as they are. The renderers (pbx/config) refuse what this refuses; the forms say so.
 */
export function configValueProblem(value: string): 'config_unsafe' | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  return /[;\u0000-\u001f\u007f]/.test(value) || value !== value.trim() ? 'config_unsafe' : null;
}
