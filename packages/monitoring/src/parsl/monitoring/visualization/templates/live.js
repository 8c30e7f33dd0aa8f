(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-poll");
  if (!url) { return; }
  var interval = parseInt(body.getAttribute("data-interval") || "2000", 10);
  function apply(data) {
    Object.keys(data.sections).forEach(function (name) {
      var el = document.querySelector('[data-live="' + name + '"]');
      if (el && el.innerHTML !== data.sections[name]) { el.innerHTML = data.sections[name]; }
    });
    var stamp = document.getElementById("updated");
    if (stamp) { stamp.textContent = data.updated; }
  }
  function tick() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data === null) { setTimeout(tick, interval * 2); return; }
        apply(data);
        if (!data.done) { setTimeout(tick, interval); }
      })
      .catch(function () { setTimeout(tick, interval * 2); });
  }
  setTimeout(tick, interval);
})();
