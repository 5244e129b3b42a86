// A page opened through a watch link (/watch/{token}) shows a session read-only: its hints say what the owner does,
// never what to press (main.js marks the body with the class "watching").

/** Whether the page watches a session through a watch link (read-only): hints say what the owner does, not what
 *  to press (main.js marks the body). */
export function watching() {
  return typeof document !== "undefined" && document.body.classList.contains("watching");
}

/** "step to <b>F2</b>" for the one who steps; "the owner steps to <b>F2</b>" for a watcher. */
export function stepTo(phase) {
  return watching() ? `the owner steps to <b>${phase}</b>` : `step to <b>${phase}</b>`;
}
