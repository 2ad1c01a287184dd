// The search box: searches the encrypted offline copy as the user types
// (`mailbox.search`, with its operators: from:, subject:, is:unread, "phrases",
// ...), shows the results in the message list, and goes back to the folder
// when emptied or on Escape. "/" anywhere outside a text field focuses it.

const TYPING_PAUSE_MS = 250;

/** `showResults(query)` lists a search; `showFolder()` the folder again. */
export function createSearch({ input, form, showResults, showFolder }) {
  let timer = 0;
  let shown = "";

  function apply() {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query === shown) return;
    shown = query;
    if (query) showResults(query);
    else showFolder();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, TYPING_PAUSE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !input.value) return;
    input.value = "";
    apply();
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !input.disabled && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      input.focus();
    }
  });

  return {
    get query() { return shown; },
    /** Empties the box without searching (a folder was opened). */
    reset() {
      clearTimeout(timer);
      input.value = "";
      shown = "";
    },
    enable(on) { input.disabled = !on; },
  };
}
