// hookwell console: keeps a page's live part fresh. Plain JavaScript, served by the binary.
// The filter form sits outside the live part, so a refresh never resets what is being typed.
(function () {
  'use strict';
  // A filter left empty stays out of the URL (`?source=stripe`, not `?source=stripe&type=&...`).
  var filters = document.getElementById('filters');
  if (filters) {
    filters.addEventListener('submit', function () {
      Array.prototype.forEach.call(filters.elements, function (el) {
        if (el.name && el.value === '') el.disabled = true;
      });
    });
  }

  var live = document.getElementById('live');
  if (!live) return;
  var auto = document.getElementById('auto');
  var stamp = document.getElementById('stamp');
  var every = Math.max(1000, parseInt(live.getAttribute('data-every'), 10) || 5000);
  var src = live.getAttribute('data-src');
  var probe = live.getAttribute('data-probe');
  var lastProbe = null;
  var busy = false;

  function say(text) {
    if (stamp) stamp.textContent = text;
  }

  function get(url) {
    // Bounded: a console that stopped answering must not stop the refresh for good.
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, 30000);
    return fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' }, signal: ctl.signal })
      .then(function (r) {
        if (!r.ok) throw new Error('the console answered ' + r.status);
        return r.text();
      })
      .finally(function () { clearTimeout(timer); });
  }

  function reload() {
    return get(src).then(function (html) {
      // The server escaped every value in this fragment.
      live.innerHTML = html;
      live.setAttribute('data-updated', String(Date.now()));
      say('updated ' + new Date().toLocaleTimeString());
    });
  }

  function tick() {
    if (busy || document.hidden || (auto && !auto.checked)) return;
    busy = true;
    var work = probe
      ? get(probe).then(function (text) {
          // A cheap look first (the DLQ's depth): the full list is read only when it changed,
          // since each read of the DLQ counts as a receive of every message.
          var changed = lastProbe !== null && text !== lastProbe;
          lastProbe = text;
          if (changed) return reload();
          say('checked ' + new Date().toLocaleTimeString());
        })
      : reload();
    work.catch(function (e) { say('refresh failed: ' + e.message); })
      .then(function () { busy = false; });
  }

  if (probe) {
    var d = document.getElementById('depth');
    lastProbe = d ? d.getAttribute('data-depth') : null;
  }
  setInterval(tick, every);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) tick(); });
})();
