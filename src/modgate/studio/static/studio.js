// modgate studio: live updates of the shared transaction surface (server-sent events) and
// reading a package file into the workspace. Plain JavaScript; the pages work without it.
(function () {
  "use strict";
  var updates = 0;

  function swap(id, url) {
    var target = document.getElementById(id);
    if (!target) { return Promise.resolve(); }
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    }).then(function (html) {
      var focused = document.activeElement;
      var keep = focused && target.contains(focused) ? focused.closest("[data-tx]") : null;
      var keepId = keep ? keep.getAttribute("data-tx") : null;
      target.innerHTML = html;
      if (keepId) {
        var again = target.querySelector('[data-tx="' + keepId + '"] button, [data-tx="' + keepId + '"] a');
        if (again) { again.focus(); }
      }
    });
  }

  function refresh() {
    Promise.all([swap("surface", "/fragment/surface"), swap("safety-status", "/fragment/status")]).then(function () {
      updates += 1;
      document.body.setAttribute("data-updates", String(updates));
      var note = document.getElementById("live-note");
      if (note) { note.textContent = note.getAttribute("data-text") || ""; }
    }).catch(function () { /* the next event retries */ });
  }

  function listen() {
    if (!window.EventSource) { return; }
    var source = new EventSource("/events");
    source.addEventListener("hello", function () { document.body.setAttribute("data-live", "on"); });
    source.addEventListener("change", refresh);
  }

  function fileInputs() {
    document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        var area = document.getElementById(input.getAttribute("data-fills"));
        if (!file || !area || file.size > 1048576) { return; }
        var reader = new FileReader();
        reader.onload = function () { area.value = String(reader.result); area.focus(); };
        reader.readAsText(file);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { listen(); fileInputs(); });
}());
