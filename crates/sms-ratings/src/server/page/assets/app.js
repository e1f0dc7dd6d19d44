// sms-ratings results page: keeps the figures live without a reload.
// Data arrives as JSON (the page's data-snapshot attribute, then server-sent events, or
// polling, backed off on errors, when the event stream fails or is refused). Text is only ever written with textContent and
// SVG built with createElementNS: no comment can become markup.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var POLL_MS = 1000;
  var WATCHDOG_MS = 5000;
  var MIN_SLOTS = 12;

  function $(sel) { return document.querySelector(sel); }
  function field(name) { return $('[data-field="' + name + '"]'); }

  function hhmm(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return iso; }
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function localizeTimes(root) {
    var times = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      times[i].textContent = hhmm(times[i].getAttribute('datetime'));
    }
  }

  var STATE_LABELS = { open: 'open', closed: 'closed', not_open: 'not open yet' };

  // Same rule as the server's bar_width: tenths of a percent, rounded down.
  function barWidth(n, max) {
    var tenths = Math.floor(n * 1000 / Math.max(max, 1));
    return Math.floor(tenths / 10) + '.' + (tenths % 10) + '%';
  }

  function el(ns, tag, attrs, text) {
    var node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) { node.setAttribute(k, String(attrs[k])); }
    }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function drawHistogram(histogram) {
    var max = 0;
    for (var r = 1; r <= 5; r++) { max = Math.max(max, histogram[String(r)] || 0); }
    for (var s = 1; s <= 5; s++) {
      var n = histogram[String(s)] || 0;
      var bar = $('[data-bar="' + s + '"]');
      var label = $('[data-n="' + s + '"]');
      if (bar) { bar.setAttribute('width', barWidth(n, max)); }
      if (label) { label.textContent = String(n); }
    }
  }

  // Votes per bucket as columns (left scale), running average as a line (right scale, 1–5).
  function drawTimeline(svg, timeline) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var box = svg.viewBox.baseVal;
    var W = box.width || 600, H = box.height || 360, L = 48, R = 34, T = 16, B = 34;
    var buckets = timeline.buckets;
    if (!buckets.length) {
      svg.appendChild(el(SVG, 'text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No votes yet'));
      return;
    }
    var pw = W - L - R, ph = H - T - B;
    var maxCount = 1;
    buckets.forEach(function (b) { maxCount = Math.max(maxCount, b.count); });
    // At least MIN_SLOTS slots, so a young event's few columns stay column-shaped.
    var step = pw / Math.max(buckets.length, MIN_SLOTS);
    var gap = Math.min(4, step * 0.2);
    svg.appendChild(el(SVG, 'line', { 'class': 'axis', x1: L, y1: T + ph, x2: W - R, y2: T + ph }));
    var points = [], count = 0, sum = 0;
    buckets.forEach(function (b, i) {
      var h = b.count / maxCount * ph;
      var x = L + i * step;
      var col = el(SVG, 'rect', { 'class': 'col', x: x + gap / 2, y: T + ph - h, width: Math.max(step - gap, 1), height: h });
      col.appendChild(el(SVG, 'title', {}, hhmm(b.start) + ': ' + b.count + ' votes'));
      svg.appendChild(col);
      count += b.count; sum += b.sum;
      if (count > 0) {
        var avg = sum / count;
        points.push((x + step / 2).toFixed(1) + ',' + (T + ph - (avg - 1) / 4 * ph).toFixed(1));
      }
    });
    if (points.length > 1) {
      svg.appendChild(el(SVG, 'polyline', { 'class': 'avg', points: points.join(' ') }));
    } else if (points.length === 1) {
      var p = points[0].split(',');
      svg.appendChild(el(SVG, 'circle', { 'class': 'legend-avg', cx: p[0], cy: p[1], r: 4 }));
    }
    svg.appendChild(el(SVG, 'text', { x: L - 8, y: T + 14, 'text-anchor': 'end' }, String(maxCount)));
    svg.appendChild(el(SVG, 'text', { x: L - 8, y: T + ph, 'text-anchor': 'end' }, '0'));
    svg.appendChild(el(SVG, 'text', { 'class': 'legend-avg', x: W - R + 8, y: T + 14 }, '5'));
    svg.appendChild(el(SVG, 'text', { 'class': 'legend-avg', x: W - R + 8, y: T + ph }, '1'));
    svg.appendChild(el(SVG, 'text', { x: L, y: H - 8 }, hhmm(buckets[0].start)));
    if (buckets.length > 1) {
      var lastX = L + (buckets.length - 0.5) * step;
      svg.appendChild(el(SVG, 'text', { x: Math.min(lastX, W - R), y: H - 8, 'text-anchor': 'end' }, hhmm(buckets[buckets.length - 1].start)));
    }
  }

  function drawComments(list, empty, comments) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    comments.forEach(function (c) {
      var li = el(null, 'li', {});
      li.appendChild(el(null, 'span', { 'class': 'stars' }, c.rating + '\u2605'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el(null, 'q', {}, c.comment));
      // The audience's view carries no sender at all.
      if (c.phone) { li.appendChild(el(null, 'span', { 'class': 'who' }, c.phone)); }
      li.appendChild(el(null, 'time', { datetime: c.at }, hhmm(c.at)));
      list.appendChild(li);
    });
    empty.hidden = comments.length > 0;
  }

  function apply(root, snap) {
    field('count').textContent = String(snap.results.count);
    field('average').textContent = snap.average_text;
    var state = field('state');
    state.setAttribute('data-state', snap.state);
    state.textContent = STATE_LABELS[snap.state] || snap.state;
    field('cta').setAttribute('data-state', snap.state);
    drawHistogram(snap.results.histogram);
    drawTimeline($('[data-chart="timeline"]'), snap.timeline);
    drawComments(field('comments'), field('no-comments'), snap.comments);
    root.setAttribute('data-updated', snap.results.updated_at || '');
    // Results hidden until revealed: the stylesheet shows the vote count only.
    root.setAttribute('data-revealed', String(snap.revealed !== false));
  }

  // Errors back off exponentially with jitter (half the delay fixed, half random), so a
  // crowd that lost its streams at once does not come back at once; a Retry-After from the
  // server is the least wait. A refused stream (503) is retried no sooner than the server's
  // own Retry-After for streams.
  var MAX_BACKOFF_MS = 60000;
  var STREAM_RETRY_MS = 5000;

  function backoff(failures, leastMs) {
    var ms = Math.max(Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)), leastMs || 0);
    return ms / 2 + Math.random() * ms / 2;
  }

  // Retry-After in seconds or as an HTTP date; 0 when absent or unreadable.
  function retryAfterMs(response) {
    var value = response.headers.get('Retry-After');
    if (!value) { return 0; }
    var seconds = Number(value);
    if (isFinite(seconds)) { return Math.max(0, seconds * 1000); }
    var at = Date.parse(value);
    return isNaN(at) ? 0 : Math.max(0, at - Date.now());
  }

  function start(root) {
    var pollTimer = null, source = null, watchdog = null, reopenTimer = null;
    var polling = false, pollFailures = 0, streamFailures = 0;
    var transport = field('transport');

    function show(how) { transport.textContent = how; root.setAttribute('data-via', how); }

    function receive(text) {
      var snap;
      try { snap = JSON.parse(text); } catch (e) { return; }
      apply(root, snap);
    }

    function schedulePoll(ms) {
      if (polling) { pollTimer = setTimeout(poll, ms); }
    }

    function poll() {
      pollTimer = null;
      fetch(root.getAttribute('data-poll'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          if (r.ok) { return r.text(); }
          return Promise.reject({ status: r.status, wait: retryAfterMs(r) });
        })
        .then(function (text) {
          pollFailures = 0;
          receive(text);
          schedulePoll(POLL_MS);
        })
        .catch(function (failure) {
          var status = failure && failure.status;
          // 404: the event is gone or its audience link was revoked.
          show(status === 404 ? 'no longer available' : 'offline, retrying');
          pollFailures += 1;
          schedulePoll(backoff(pollFailures, failure && failure.wait));
        });
    }

    function startPolling() {
      if (polling) { return; }
      polling = true;
      show('polling');
      poll();
    }

    function stopPolling() {
      polling = false;
      pollFailures = 0;
      if (pollTimer !== null) { clearTimeout(pollTimer); pollTimer = null; }
      show('live');
    }

    if (root.getAttribute('data-transport') === 'poll' || !window.EventSource) {
      startPolling();
      return;
    }

    function open() {
      reopenTimer = null;
      source = new EventSource(root.getAttribute('data-live'));
      // The server sends a snapshot as soon as the stream opens; silence means something in
      // between (a buffering proxy) holds the stream back.
      watchdog = setTimeout(startPolling, WATCHDOG_MS);
      source.addEventListener('snapshot', function (e) {
        clearTimeout(watchdog);
        streamFailures = 0;
        stopPolling();
        receive(e.data);
      });
      source.addEventListener('error', function () {
        clearTimeout(watchdog);
        if (source.readyState === EventSource.CLOSED) {
          // Refused (503: the stream cap) or failed for good: poll meanwhile, and open a
          // new stream after a backed-off wait.
          streamFailures += 1;
          startPolling();
          if (reopenTimer === null) {
            reopenTimer = setTimeout(open, backoff(streamFailures, STREAM_RETRY_MS));
          }
          return;
        }
        // Ended (its lifetime is up) or dropped: the browser reconnects by itself; poll only
        // if no snapshot comes back soon.
        watchdog = setTimeout(startPolling, WATCHDOG_MS);
      });
    }
    open();
  }

  // The manage page: says when new votes arrived (it does not reload by itself: the
  // organiser may be typing in a form). It polls rather than holding an event stream, so
  // the organiser's tabs do not use up the browser's few connections per server.
  var WATCH_MS = 3000;

  function watch(root) {
    var first = root.getAttribute('data-stamp');
    function check() {
      fetch(root.getAttribute('data-watch'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (snap) {
          var stamp = snap.results.count + '/' + (snap.results.updated_at || '');
          if (stamp !== first) { field('fresh').hidden = false; }
        })
        .catch(function () {});
    }
    setInterval(check, WATCH_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    localizeTimes(document);
    var manage = $('main[data-watch]');
    if (manage) { watch(manage); }
    var root = $('main[data-snapshot]');
    if (!root) { return; }
    var snap;
    try { snap = JSON.parse(root.getAttribute('data-snapshot')); } catch (e) { snap = null; }
    if (snap) { apply(root, snap); }
    start(root);
  });
}());
