// Whether the organization's server can be reached, shown in the top bar.
// navigator.onLine cannot say (it only knows whether some network interface is
// up), so the client decides from what happens: a sync or lookup that reaches
// the server means online, one that fails to connect means offline, and a small
// health request every few seconds notices the change either way.
// Also the demo's network switch, which cuts the org server stand-in off.
import { demoState, reachable, setNetwork } from "./org.js";

const CHECK_EVERY_MS = 10_000;

/** `onChange(state, previous)` hears "online" / "offline" transitions. */
export function createNetwork({ orgServer, indicator, switchButton, onChange }) {
  let state = "unknown";
  let timer = 0;
  const text = indicator.querySelector(".connection-text");

  function set(next) {
    if (next === state) return;
    const previous = state;
    state = next;
    indicator.dataset.state = next;
    document.body.dataset.connection = next;
    text.textContent = next === "online" ? "Online" : next === "offline" ? "Offline" : "Not signed in";
    indicator.title = next === "offline" ? "The organization's server can't be reached: you're working from the offline copy." : "";
    onChange(next, previous);
  }

  /** Asks the server whether it answers; resolves to the new state. */
  async function check() {
    set((await reachable(orgServer)) ? "online" : "offline");
    return state;
  }

  switchButton.addEventListener("click", async () => {
    const on = switchButton.getAttribute("aria-checked") !== "true";
    switchButton.disabled = true;
    try {
      const answer = await setNetwork(on);
      switchButton.setAttribute("aria-checked", String(answer.online));
    } finally {
      switchButton.disabled = false;
    }
    await check();
  });

  return {
    get state() { return state; },
    check,
    /** What a request to the server just showed: `true` it answered, `false` it could not be reached. */
    report: (answered) => set(answered ? "online" : "offline"),
    /** Starts checking now and every few seconds. */
    start() {
      switchButton.disabled = false;
      demoState().then((demo) => switchButton.setAttribute("aria-checked", String(demo.online)), () => {});
      clearInterval(timer);
      timer = setInterval(check, CHECK_EVERY_MS);
      return check();
    },
  };
}
