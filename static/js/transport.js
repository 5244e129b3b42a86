// The page's only link to the server: REST helpers and one WebSocket per session that reconnects by itself.
// The access token (when the server needs one) comes from the page's own address, ?token=…, as Jupyter does; it is
// kept in session storage (this tab only) and taken out of the address at once, so it is in no link, bookmark,
// history entry or access log line after the first load. REST calls present it in a header, the WebSocket as a
// subprotocol (a browser's WebSocket cannot send headers; an address would land in the log).
// Every request carries X-Backprop-Viz-Request: the server refuses a POST that a foreign page could send without a
// CORS preflight, and this header is one it could not.

const TOKEN_KEY = "backprop-viz-token";

function takeToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get("token");
  let stored = "";
  try {
    if (given) sessionStorage.setItem(TOKEN_KEY, given);
    stored = sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    /* storage switched off: keep it in memory for this page's life */
  }
  if (given !== null) {
    params.delete("token");
    const query = params.toString();
    history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  }
  return given || stored;
}

export const token = takeToken();
export const REQUEST_HEADER = "X-Backprop-Viz-Request";
const WS_PROTOCOL = "backprop-viz";

// Where the app is served from: it may sit under a path prefix (Jupyter's /proxy/8000/, a root_path). This
// module is <root>static/js/transport.js, so every REST and WebSocket address is built from its address.
export const root = new URL("../../", import.meta.url);

/** The absolute address of an app path, "/api/…" or "api/…", under the app's root. */
export function appUrl(path) {
  return new URL(path.replace(/^\//, ""), root).href;
}

export class ApiError extends Error {
  constructor(status, detail, field) {
    super(detail);
    this.status = status;
    this.field = field;
  }
}

function withToken(headers = {}) {
  const marked = { ...headers, [REQUEST_HEADER]: "1" };
  return token ? { ...marked, "X-Backprop-Viz-Token": token } : marked;
}

/** The token as a WebSocket subprotocol: `backprop-viz-token.` + base64url of its UTF-8 bytes, no padding. */
function tokenProtocol() {
  const bytes = new TextEncoder().encode(token);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `backprop-viz-token.${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

async function answer(response) {
  if (response.ok) {
    if (response.status === 204) return null;
    return response.json();
  }
  let detail = `${response.status} ${response.statusText}`;
  let field = null;
  try {
    const body = await response.json();
    if (body && body.detail) detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    field = body.field ?? null;
  } catch {
    /* not JSON: keep the status line */
  }
  throw new ApiError(response.status, detail, field);
}

/** GET/POST/PATCH/DELETE a JSON endpoint; errors become ApiError with the server's message. */
export async function api(method, path, body) {
  const init = { method, headers: withToken() };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  return answer(await fetch(appUrl(path), init));
}

/** Download a REST resource as a file (export). */
export async function download(path, filename) {
  const response = await fetch(appUrl(path), { headers: withToken() });
  if (!response.ok) await answer(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const RETRY_FIRST_MS = 300; // the first retry after a drop; then doubling, with jitter, up to RETRY_MAX_MS
const RETRY_MAX_MS = 3000;

/**
 * A WebSocket to /ws/sessions/{id} that reconnects with back-off when it drops (a server restart, a network
 * blip, a laptop waking up). `onEvent(message)` gets every server event; `onStatus(status, detail)` hears
 * "connecting", "open", "reconnecting", "refused" and "closed". On every (re)connect the server sends a
 * snapshot, so the page redraws from it and nothing is lost. It retries at once when the browser says it is
 * online again or the tab becomes visible, and on `retryNow()`.
 */
export class SessionSocket {
  constructor(sessionId, { onEvent, onStatus, path = null }) {
    this.sessionId = sessionId;
    this.path = path || `ws/sessions/${encodeURIComponent(sessionId)}`; // a watcher's: ws/watch/{token}
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.ws = null;
    this.closed = false;
    this.attempt = 0;
    this.failedHandshakes = 0;
    this.tokenInAddress = false;
    this.timer = null;
    this.queue = [];
    this.nextRequest = 1;
    this.wake = () => {
      if (!this.closed && !this.ws && document.visibilityState !== "hidden") this.retryNow();
    };
    window.addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", this.wake);
    this.connect();
  }

  /** Reconnect now instead of after the back-off delay (only while disconnected). */
  retryNow() {
    if (this.closed || this.ws) return;
    clearTimeout(this.timer);
    this.connect();
  }

  url() {
    const url = new URL(appUrl(this.path));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (token && this.tokenInAddress) url.searchParams.set("token", token);
    return url.href;
  }

  /** The token goes as a subprotocol (an address ends up in logs); no token, no subprotocol, so any proxy will do. */
  protocols() {
    return token && !this.tokenInAddress ? [WS_PROTOCOL, tokenProtocol()] : [];
  }

  connect() {
    if (this.closed) return;
    this.timer = null;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url(), this.protocols());
    let opened = false;
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.failedHandshakes = 0;
      this.attempt = 0;
    this.failedHandshakes = 0;
    this.tokenInAddress = false;
      this.onStatus("open");
      const pending = this.queue.splice(0);
      for (const text of pending) ws.send(text);
    };
    ws.onmessage = (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      this.onEvent(message);
    };
    ws.onclose = (e) => {
      // A proxy that drops subprotocols fails every handshake (1006 before open): then present the token in the
      // address (the server's own log redacts it).
      if (!opened && e.code === 1006 && token && !this.tokenInAddress && ++this.failedHandshakes >= 2) {
        this.tokenInAddress = true;
      }
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      // 1008: refused (wrong token or origin); 1013: the server's WebSocket caps are reached; 4404: no such
      // session; 1009: a message too large; 4008: this tab did not read its events; 4410: the watch link was
      // revoked. Say it, and (but 4404 and 4410) retry.
      if ([1008, 1009, 1013, 4008, 4401, 4403, 4404, 4410].includes(e.code)) {
        this.onStatus("refused", e.reason || `connection refused (${e.code})`);
        if (e.code === 4404 || e.code === 4410) return;
      }
      if (e.code === 1013) this.attempt = Math.max(this.attempt, 4); // full: do not knock again at once
      this.attempt += 1;
      const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.attempt - 1, 6));
      const delay = base * (0.75 + 0.5 * Math.random()); // jitter: many tabs do not all knock at once
      this.onStatus("reconnecting", e.reason || "");
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => {
      /* onclose follows and schedules the reconnect */
    };
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a command; while reconnecting, a few are kept and sent on reconnect. Returns its request_id. */
  send(command) {
    const request_id = this.nextRequest++;
    const text = JSON.stringify({ ...command, request_id });
    if (this.open) this.ws.send(text);
    else if (this.queue.length < 20) this.queue.push(text);
    return request_id;
  }

  /** Drop the connection on purpose (tests use it to check the reconnect); it comes back by itself. */
  drop() {
    if (this.ws) this.ws.close(4000, "dropped by the page");
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.wake);
    document.removeEventListener("visibilitychange", this.wake);
    if (this.ws) this.ws.close(1000, "page closed");
    this.ws = null;
  }
}
