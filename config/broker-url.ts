/**
 * The fleet broker's URL rule (REQUIREMENTS FLT-02, SEC-01): the broker password, the device's
 * state and the hotel's commands travel only encrypted. `mqtts://` (or `wss://`) is required; the
 * clear-text schemes (`mqtt://`, `ws://`) are allowed only to a loopback broker (127.0.0.0/8, ::1,
 * localhost), where nothing crosses a network. Pure: used by the config schema and the operator tools.
 */
const SCHEME = /^(mqtts?|wss?):\/\/([^\s/?#]+)/;

/** Whether a broker host is this machine (the host part of a URL, IPv6 in brackets). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why a broker URL may not be used (one line), or null if it may. */
export function brokerUrlProblem(url: string): string | null {
  const m = SCHEME.exec(url);
  if (!m) return "must be an mqtts:// URL (mqtt:// only to a loopback broker)";
  const scheme = m[1]!;
  // Host without user info and port ([v6]:port or name:port).
  const authority = m[2]!.replace(/^[^@]*@/, "");
  const host = authority.startsWith("[") ? authority.slice(0, authority.indexOf("]") + 1) : authority.replace(/:\d*$/, "");
  if ((scheme === "mqtt" || scheme === "ws") && !isLoopbackHost(host))
    return `${scheme}:// sends the broker password and the device's state in clear text: use mqtts://${authority} (${scheme}:// is allowed only to a loopback broker)`;
  return null;
}
