// Progressive enhancement of the public site: search and filters update
// the results as you type (the address follows), and pages with data-live
// reload their results when the read models change (Server-Sent Events).
// Without JavaScript the forms are ordinary GET forms.
(function () {
  "use strict";

  var results = function () { return document.getElementById("resultater"); };
  var pending = null;

  // load fetches url and swaps in its results and "Sist oppdatert".
  function load(url) {
    if (pending) { pending.abort(); }
    var ctrl = new AbortController();
    pending = ctrl;
    return fetch(url, { signal: ctrl.signal, cache: "no-cache", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (!res.ok) { throw new Error("status " + res.status); }
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("resultater");
        var cur = results();
        if (fresh && cur) { cur.replaceWith(fresh); }
        // The count is a live region outside the swapped part, so that
        // screen readers announce the new text.
        var count = doc.getElementById("treff");
        var curCount = document.getElementById("treff");
        if (count && curCount && curCount.innerHTML !== count.innerHTML) { curCount.innerHTML = count.innerHTML; }
        var upd = doc.getElementById("sist-oppdatert");
        var curUpd = document.getElementById("sist-oppdatert");
        if (upd && curUpd) { curUpd.replaceWith(upd); }
        // Filter counts follow the results.
        doc.querySelectorAll("form[data-live-search] select").forEach(function (sel) {
          var mine = document.getElementById(sel.id);
          if (mine && mine !== document.activeElement) {
            mine.innerHTML = sel.innerHTML;
            mine.value = sel.value;
          }
        });
      })
      .catch(function (err) {
        if (err.name !== "AbortError") { /* keep the page as it is */ }
      })
      .finally(function () { if (pending === ctrl) { pending = null; } });
  }

  function formURL(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) {
      if (String(v) !== "") { params.append(k, String(v)); }
    });
    var qs = params.toString();
    return form.getAttribute("action") + (qs ? "?" + qs : "");
  }

  var form = document.querySelector("form[data-live-search]");
  if (form && results()) {
    var timer = null;
    var update = function () {
      var url = formURL(form);
      history.replaceState(null, "", url);
      load(url);
    };
    form.addEventListener("input", function (e) {
      if (e.target && e.target.name === "q") {
        clearTimeout(timer);
        timer = setTimeout(update, 250);
      }
    });
    form.addEventListener("change", function (e) {
      if (e.target && e.target.name !== "q") {
        clearTimeout(timer);
        update();
      }
    });
  }

  var live = document.body.getAttribute("data-live");
  if (live && window.EventSource && results()) {
    // The page was rendered at data-position; every event carries the
    // read models' position now.
    var last = document.body.getAttribute("data-position");
    var es = new EventSource(live);
    es.addEventListener("endring", function (e) {
      if (e.data !== last) {
        last = e.data;
        load(location.pathname + location.search);
      }
    });
  }
})();
