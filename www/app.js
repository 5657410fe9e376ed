// framecast's own page: a stream picker over one <framecast-view>, which
// connects, reconnects, shows the frames and the status line, and sends
// clicks and keys to the producer.
//
// Open /?stream=NAME for one stream; without it the view shows the first
// stream the server lists. A server that needs a token prints the URL to
// open with ?token=...: the page keeps the token (localStorage, this origin
// only) and takes it out of the address bar, so reloads and stream links
// work without showing it; it hands the token to the element. `?quality=`
// picks the viewer's quality, and `?decode=main` decodes on the page's main
// thread rather than in a worker (for comparing the two). window.framecast is
// the view's state, for tests.

import "./framecast.js";

const STREAM_LIST_EVERY_MS = 2000;
const TOKEN_KEY = "framecast-token";

const view = document.querySelector("framecast-view");
const picker = document.getElementById("streams");
const token = keepToken();
const params = new URL(location.href).searchParams;

// The element starts once this module has run (it waits a microtask), with
// all of these.
window.framecast = view.state;
if (token) view.token = token;
if (params.has("quality")) view.quality = params.get("quality");
if (params.has("stream")) view.stream = params.get("stream");
if (params.get("decode") === "main") view.setAttribute("main-thread", "");

view.addEventListener("connect", (event) => {
  document.title = `${event.detail.stream} · framecast`;
  refreshPicker();
});

/** The token from ?token= (kept for later and hidden from the address bar),
 * else the one kept before, else null. */
function keepToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given === null) return localStorage.getItem(TOKEN_KEY);
  localStorage.setItem(TOKEN_KEY, given);
  url.searchParams.delete("token");
  history.replaceState(null, "", url);
  return given;
}

async function refreshPicker() {
  let streams;
  try {
    const response = await fetch("api/streams", { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!response.ok) return; // the view says why
    streams = await response.json();
  } catch {
    return;
  }
  const names = streams.map((s) => s.name);
  const shown = view.state.stream;
  if (shown && !names.includes(shown)) names.push(shown);
  const current = [...picker.options].map((o) => o.value);
  if (names.join("\n") !== current.join("\n")) {
    picker.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  picker.value = shown ?? "";
}

picker.addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("stream", picker.value);
  location.assign(url); // a link to the stream, and a fresh start
});

setInterval(refreshPicker, STREAM_LIST_EVERY_MS);
refreshPicker();
