// The dialogs around a session: sign-in (with OWA's choice between a private
// and a public computer), the offline consent question, and sign-out (which
// offers to keep the offline copy only on a private computer with offline on).
import { $ } from "./dom.js";

/** Opens `dialog` and resolves with what `settle` decides, once it calls back. */
function modal(dialog, settle) {
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.close();
      resolve(value);
    };
    settle(done);
    dialog.showModal();
  });
}

/** The sign-in dialog: resolves to `{ address, computer }` once the user signs in. */
export function askSignIn(defaultAddress) {
  const dialog = $("#signin-dialog");
  const form = $("#signin-form");
  const user = $("#signin-user");
  user.value ||= defaultAddress;
  // Signing in is the only way on: Escape does not close it.
  dialog.oncancel = (event) => event.preventDefault();
  return modal(dialog, (done) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      done({ address: user.value.trim(), computer: new FormData(form).get("computer") });
    };
  }).finally(() => { form.onsubmit = null; });
}

/** Shows a sign-in failure and asks again. */
export function signInFailed(message, defaultAddress) {
  const error = $("#signin-error");
  error.textContent = message;
  error.hidden = false;
  return askSignIn(defaultAddress);
}

/** The consent question: resolves true (keep mail offline) or false. */
export function askConsent() {
  const dialog = $("#consent-dialog");
  return modal(dialog, (done) => {
    $("#consent-form").onsubmit = (event) => {
      event.preventDefault();
      done(true);
    };
    $("#consent-no").onclick = () => done(false);
    dialog.oncancel = (event) => {
      event.preventDefault();
      done(false);
    };
  });
}

/**
 * The sign-out dialog for `name`; `canKeep` offers to keep the offline copy.
 * Resolves to `{ keepOfflineData }`, or null when the user cancels.
 */
export function askSignOut(name, canKeep) {
  const dialog = $("#signout-dialog");
  const keep = $("#signout-keep");
  keep.checked = false;
  $("#signout-keep-label").hidden = !canKeep;
  $("#signout-who").textContent = `Signed in as ${name}.`;
  $("#signout-note").textContent = canKeep
    ? "Unless you keep it, the offline copy of your mail is deleted from this computer."
    : "Anything kept on this computer for offline use is deleted.";
  return modal(dialog, (done) => {
    $("#signout-form").onsubmit = (event) => {
      event.preventDefault();
      done({ keepOfflineData: canKeep && keep.checked });
    };
    dialog.querySelector(".dialog-cancel").onclick = () => done(null);
    dialog.oncancel = (event) => {
      event.preventDefault();
      done(null);
    };
  });
}
