// Voxanne dashboard: live updates only. Every page works without this script.
//
// An element with `data-poll="/dashboard/…"` is refreshed from that URL (an HTML fragment) about
// once a second while it says it is still changing (`data-poll-until` absent in the answer's root).
// A form with `data-inplace="ID"` is sent with fetch and its answer replaces element ID, so the
// page neither leaves nor reloads.
"use strict";

(function () {
  function poll(element) {
    const url = element.getAttribute("data-poll");
    if (!url) return;
    const timer = window.setInterval(async function () {
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { "X-Voxanne-Fragment": "1" } });
        if (!response.ok) return;
        const html = await response.text();
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.firstElementChild;
        if (!fresh) return;
        element.replaceChildren(...fresh.childNodes);
        if (!fresh.hasAttribute("data-poll")) {
          window.clearInterval(timer);
          element.removeAttribute("data-poll");
        }
      } catch (_) {
        // A dropped poll is retried at the next tick.
      }
    }, 1000);
  }

  function inplace(form) {
    form.addEventListener("submit", async function (event) {
      const target = document.getElementById(form.getAttribute("data-inplace"));
      if (!target) return;
      event.preventDefault();
      try {
        const response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-Voxanne-Fragment": "1" },
          body: new URLSearchParams(new FormData(form)),
        });
        const html = await response.text();
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.firstElementChild;
        if (fresh) {
          target.replaceWith(fresh);
          if (fresh.hasAttribute("data-poll")) poll(fresh);
        }
      } catch (_) {
        form.submit();
      }
    });
  }

  // A page restored from the back/forward cache may belong to a session that has ended (the
  // server sends `no-store` and clears the cache at sign-out; this covers browsers that keep it
  // anyway): ask the server again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  document.querySelectorAll("[data-poll]").forEach(poll);
  document.querySelectorAll("form[data-inplace]").forEach(inplace);
})();
