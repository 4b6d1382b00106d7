(() => {
  "use strict";
  // Server-sent events name the checklist that changed; this page refetches its own <main>
  // when the change concerns it (the overview: any change).
  const main = document.querySelector("main");
  const live = document.getElementById("live");
  const watch = main.dataset.watch;
  let running = false, again = false;
  const say = (text) => { live.textContent = text; };
  const fragmentUrl = () => {
    const url = new URL(location.href);
    url.searchParams.set("fragment", "1");
    return url;
  };
  const refresh = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        const response = await fetch(fragmentUrl(), { cache: "no-store" });
        // A 404 carries the "does not exist" fragment: shown like any other.
        main.innerHTML = await response.text();
        const title = main.querySelector("[data-title]");
        if (title) document.title = title.dataset.title;
      } while (again);
      say("Updated " + new Date().toLocaleTimeString() + ".");
    } catch (error) {
      say("Update failed; retrying on the next change.");
    } finally {
      running = false;
    }
  };
  const events = new EventSource("/events");
  events.addEventListener("open", () => say("Live: updates appear without reloading."));
  events.addEventListener("change", (event) => {
    const changed = JSON.parse(event.data);
    if (!watch || changed.all || watch === changed.namespace + "/" + changed.name) refresh();
  });
  events.addEventListener("error", () => say("Live updates interrupted; reconnecting…"));
})();
