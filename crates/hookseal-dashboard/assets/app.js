// hookseal dashboard: live updates and confirmations. No inline script: served as a file.
(function () {
  'use strict';

  // Confirmation before bulk actions.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Live updates: fetch the server-rendered fragment again, one request at a time.
  var live = document.getElementById('live');
  var status = document.getElementById('live-status');
  if (!live || !live.getAttribute('data-src')) {
    return;
  }
  var src = live.getAttribute('data-src');
  var every = Math.max(500, parseInt(live.getAttribute('data-every'), 10) || 3000);
  var failures = 0;
  var timer = null;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function schedule() {
    // Back off after failures, up to a minute.
    var wait = Math.min(60000, every * Math.pow(2, Math.min(failures, 5)));
    timer = window.setTimeout(refresh, wait);
  }

  function refresh() {
    timer = null;
    if (document.visibilityState === 'hidden') {
      schedule();
      return;
    }
    var controller = new AbortController();
    var deadline = window.setTimeout(function () { controller.abort(); }, 10000);
    fetch(src, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, signal: controller.signal, cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // Server-rendered and escaped like the page itself.
        live.innerHTML = html;
        failures = 0;
        say('Live: updated at ' + new Date().toISOString().slice(11, 19) + ' UTC.');
        document.dispatchEvent(new CustomEvent('hookseal:refreshed'));
      })
      .catch(function (err) {
        failures += 1;
        say('Live updates paused (' + err.message + '); retrying.');
      })
      .finally(function () {
        window.clearTimeout(deadline);
        schedule();
      });
  }

  schedule();
})();
