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

  // Times on the event's wall clock (data-tz: its IANA zone, checked by the server), the
  // same 24-hour HH:MM the server writes, whatever the browser's own zone and locale.
  var clockFormat = null;
  function clock() {
    if (clockFormat) { return clockFormat; }
    var host = $('[data-tz]');
    var options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (host) { options.timeZone = host.getAttribute('data-tz'); }
    try {
      clockFormat = new Intl.DateTimeFormat('en-GB', options);
    } catch (e) {
      // A zone this browser does not know: its own clock rather than no times at all.
      delete options.timeZone;
      clockFormat = new Intl.DateTimeFormat('en-GB', options);
    }
    return clockFormat;
  }

  function hhmm(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return iso; }
    return clock().format(d);
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

  // The bar rows exist only while results are shown: the server leaves them out of a hidden
  // page, so they are built on reveal and removed on hide (the DOM holds no rating then).
  function barRows(shown) {
    var bars = $('.histogram .bars');
    if (!bars) { return; }
    if (!shown) {
      while (bars.firstChild) { bars.removeChild(bars.firstChild); }
      return;
    }
    if ($('[data-bar]')) { return; }
    ['5', '4', '3', '2', '1'].forEach(function (r) {
      var row = el(null, 'div', { 'class': 'bar-row' });
      row.appendChild(el(null, 'span', { 'class': 'bar-label' }, r + '\u2605'));
      var svg = el(SVG, 'svg', { 'class': 'bar', 'aria-hidden': 'true' });
      svg.appendChild(el(SVG, 'rect', { 'data-bar': r, width: '0%', height: '100%', rx: 4 }));
      row.appendChild(svg);
      row.appendChild(el(null, 'span', { 'class': 'bar-n', 'data-n': r }, '0'));
      bars.appendChild(row);
    });
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

  // Votes per interval as columns on one scale (votes). Axis labels are placed, then any
  // label that would touch one already placed is dropped, so none ever overlap.
  function drawTimeline(svg, timeline) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var box = svg.viewBox.baseVal;
    var W = box.width || 600, H = box.height || 300, L = 64, R = 12, T = 20, B = 46;
    var buckets = timeline.buckets;
    drawTimelineTable(buckets);
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
    buckets.forEach(function (b, i) {
      var h = b.count / maxCount * ph;
      var col = el(SVG, 'rect', { 'class': 'col', x: L + i * step + gap / 2, y: T + ph - h, width: Math.max(step - gap, 1), height: h });
      col.appendChild(el(SVG, 'title', {}, hhmm(b.start) + ': ' + b.count + ' votes'));
      svg.appendChild(col);
    });
    svg.appendChild(el(SVG, 'line', { 'class': 'axis', x1: L, y1: T + ph, x2: W - R, y2: T + ph }));
    var labels = [];
    function label(attrs, text) {
      var node = el(SVG, 'text', attrs, text);
      svg.appendChild(node);
      if (overlapsAny(node, labels)) { svg.removeChild(node); return; }
      labels.push(node);
    }
    label({ x: L - 8, y: T + 16, 'text-anchor': 'end' }, String(maxCount));
    label({ x: L - 8, y: T + ph, 'text-anchor': 'end' }, '0');
    label({ x: L, y: H - 8 }, hhmm(buckets[0].start));
    if (buckets.length > 1) {
      var lastX = L + (buckets.length - 0.5) * step;
      label({ x: Math.min(lastX, W - R), y: H - 8, 'text-anchor': 'end' }, hhmm(buckets[buckets.length - 1].start));
    }
  }

  function overlapsAny(node, placed) {
    var a;
    try { a = node.getBBox(); } catch (e) { return false; }
    return placed.some(function (other) {
      var b = other.getBBox();
      return a.x < b.x + b.width + 6 && b.x < a.x + a.width + 6 && a.y < b.y + b.height && b.y < a.y + a.height;
    });
  }

  // The chart's data for screen readers: a table of intervals and their votes.
  function drawTimelineTable(buckets) {
    var body = $('[data-field="timeline-table"] tbody');
    if (!body) { return; }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    buckets.forEach(function (b) {
      var row = el(null, 'tr', {});
      row.appendChild(el(null, 'td', {}, hhmm(b.start)));
      row.appendChild(el(null, 'td', {}, String(b.count)));
      body.appendChild(row);
    });
  }

  function drawComments(list, empty, comments) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    comments.forEach(function (c) {
      var li = el(null, 'li', {});
      // While results are hidden a comment comes without its rating.
      if (c.rating) {
        li.appendChild(el(null, 'span', { 'class': 'stars' }, c.rating + '\u2605'));
      }
      li.appendChild(el(null, 'p', { 'class': 'said', dir: 'auto' }, c.comment));
      li.appendChild(el(null, 'time', { datetime: c.at }, hhmm(c.at)));
      list.appendChild(li);
    });
    empty.hidden = comments.length > 0;
  }

  // The wall shows the newest comments that fit whole: older ones are dropped, never cut
  // in half and never pushing the page into scrolling.
  function fitComments(list) {
    var box = list.parentNode;
    if (getComputedStyle(box).overflow !== 'hidden') { return; }
    var items = list.children;
    for (var i = 0; i < items.length; i++) { items[i].hidden = false; }
    var bottom = box.getBoundingClientRect().bottom - parseFloat(getComputedStyle(box).paddingBottom);
    for (var j = 0; j < items.length; j++) {
      if (items[j].getBoundingClientRect().bottom > bottom + 0.5) {
        for (var k = j; k < items.length; k++) { items[k].hidden = true; }
        break;
      }
    }
  }

  // What a screen reader hears: new votes at most every ANNOUNCE_MS, reveal and close at once.
  var ANNOUNCE_MS = 15000;
  var ALARM_MS = 2500;
  var heard = { count: null, revealed: null, state: null, at: 0, timer: null };

  function announce(snap) {
    var region = field('announce');
    if (!region) { return; }
    var revealed = snap.revealed !== false;
    var say = null;
    if (heard.state !== null && snap.state !== heard.state) {
      say = snap.state === 'closed' ? 'Voting is closed.' : snap.state === 'open' ? 'Voting is open.' : null;
    }
    if (heard.revealed === false && revealed) {
      say = (say ? say + ' ' : '') + 'Results revealed: average ' + snap.average_text + ' from ' + snap.results.count + ' votes.';
    }
    var first = heard.count === null;
    var changed = !first && snap.results.count !== heard.count;
    heard.state = snap.state; heard.revealed = revealed; heard.count = snap.results.count;
    if (say) {
      // Said now, and not overwritten by a vote count still waiting its turn.
      clearTimeout(heard.timer);
      heard.timer = null;
      region.textContent = say;
      heard.at = Date.now();
      return;
    }
    if (!changed || heard.timer !== null) { return; }
    var wait = Math.max(0, heard.at + ANNOUNCE_MS - Date.now());
    heard.timer = setTimeout(function () {
      heard.timer = null; heard.at = Date.now();
      var avg = heard.revealed ? ', average ' + field('average').textContent : '';
      region.textContent = heard.count + ' votes' + avg + '.';
    }, wait);
  }

  // A lost connection is said loudly, across the top of the wall, until it is back.
  function alarm(how) {
    var banner = field('reconnecting');
    if (!banner) { return; }
    var fine = how === 'live' || how === 'polling';
    banner.textContent = fine ? '' : how === 'no longer available'
      ? 'This page is no longer available'
      : 'Reconnecting\u2026 the figures shown may be out of date';
  }

  function apply(root, snap) {
    field('count').textContent = String(snap.results.count);
    field('average').textContent = snap.average_text;
    var state = field('state');
    state.setAttribute('data-state', snap.state);
    state.textContent = STATE_LABELS[snap.state] || snap.state;
    field('cta').setAttribute('data-state', snap.state);
    barRows(snap.revealed !== false);
    drawHistogram(snap.results.histogram);
    lastTimeline = snap.timeline;
    drawTimeline($('[data-chart="timeline"]'), snap.timeline);
    drawComments(field('comments'), field('no-comments'), snap.comments);
    root.setAttribute('data-updated', snap.results.updated_at || '');
    // Results hidden until revealed: the stylesheet shows the vote count only.
    root.setAttribute('data-revealed', String(snap.revealed !== false));
    fitComments(field('comments'));
    announce(snap);
  }

  // A resized window (or a projector's resolution switch) gets its comments and chart
  // labels fitted again.
  var lastTimeline = null;

  function refitOnResize() {
    var pending = null;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        if (lastTimeline) { drawTimeline($('[data-chart="timeline"]'), lastTimeline); }
        fitComments(field('comments'));
      }, 100);
    });
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

    function show(how) { transport.textContent = how; root.setAttribute('data-via', how); alarm(how); }

    // A stream that errs and brings no snapshot back within ALARM_MS has lost the server:
    // the banner says so then, not only once polling has failed too (a stream ending on
    // purpose reconnects well within that time, so the wall does not flicker).
    var alarmTimer = null;
    function lost() {
      if (alarmTimer !== null) { return; }
      alarmTimer = setTimeout(function () {
        alarmTimer = null;
        if (!polling || pollFailures > 0) { alarm('reconnecting'); }
      }, ALARM_MS);
    }
    function back() {
      if (alarmTimer !== null) { clearTimeout(alarmTimer); alarmTimer = null; }
    }

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
        back();
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
        lost();
      });
    }
    open();
  }

  // The manage page, enhanced. Its moderation and state buttons act in place, so the page
  // keeps its scroll position (without this script they are plain forms, CSRF token and
  // all); and its counts and comment list follow the event live: each change of the event's
  // snapshot fetches the page again (at most every REFRESH_MS) and swaps in its regions.
  var REFRESH_MS = 1500;
  var WATCH_MS = 1500;

  // The region `[data-region]` elements of `doc` whose children replace this page's.
  function swapRegions(html, keep) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var anchor = topComment();
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    var focus = focusPlace(document.activeElement);
    var fresh = doc.querySelectorAll('[data-region]');
    for (var i = 0; i < fresh.length; i++) {
      var name = fresh[i].getAttribute('data-region');
      var old = document.querySelector('[data-region="' + name + '"]');
      if (!old || (keep && keep.indexOf(name) >= 0)) { continue; }
      while (old.firstChild) { old.removeChild(old.firstChild); }
      while (fresh[i].firstChild) { old.appendChild(document.adoptNode(fresh[i].firstChild)); }
    }
    enhanceForms(document);
    if (anchor) {
      var again = document.querySelector('[data-comment="' + anchor.getAttribute('data-comment') + '"]');
      if (again) { window.scrollBy(0, again.getBoundingClientRect().top - before); }
    }
    if (focus) {
      var target = document.querySelector(focus);
      if (target) { target.focus({ preventScroll: true }); }
    }
  }

  // The first comment whose top is on screen: the place to keep when the list changes.
  function topComment() {
    var items = document.querySelectorAll('[data-comment]');
    for (var i = 0; i < items.length; i++) {
      if (items[i].getBoundingClientRect().bottom > 0) { return items[i]; }
    }
    return null;
  }

  // Where focus was, as a selector that finds its successor after a swap (a Hide button
  // becomes a Show button in the same comment; Hide results becomes Reveal).
  function focusPlace(node) {
    if (!node || node === document.body) { return null; }
    var comment = node.closest('[data-comment]');
    if (comment) { return '[data-comment="' + comment.getAttribute('data-comment') + '"] button'; }
    var region = node.closest('[data-region]');
    if (region) { return '[data-region="' + region.getAttribute('data-region') + '"] button:not([disabled])'; }
    return null;
  }

  function enhanceForms(root) {
    var forms = root.querySelectorAll('form[data-inplace]');
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute('data-enhanced')) { continue; }
      forms[i].setAttribute('data-enhanced', '1');
      forms[i].addEventListener('submit', submitInPlace);
    }
  }

  function submitInPlace(e) {
    var form = e.currentTarget;
    if (!window.fetch || !window.DOMParser) { return; }
    e.preventDefault();
    // getAttribute: `form.action` would be the form's <input name="action">.
    fetch(form.getAttribute('action'), {
      method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin'
    })
      .then(function (r) {
        // Success is the manage page (after the 303), a refusal the page with its error.
        var html = /text\/html/.test(r.headers.get('content-type') || '');
        return (r.ok || r.status === 422) && html ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) { swapRegions(html, null); })
      .catch(function () { form.submit(); });
  }

  // Polls the event's snapshot rather than holding an event stream: with the projector and
  // the audience page open too, streams would use up the browser's few connections per
  // server (HTTP/1.1) and leave the organiser's own clicks waiting.
  function watch(root) {
    var last = 0, timer = null, seen = null;
    enhanceForms(document);
    function refresh() {
      timer = null;
      last = Date.now();
      fetch(location.pathname, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        // The notice stays: it says what the organiser's last action did.
        .then(function (html) { swapRegions(html, ['notice']); })
        .catch(function () {});
    }
    function soon() {
      if (timer === null) { timer = setTimeout(refresh, Math.max(0, last + REFRESH_MS - Date.now())); }
    }
    function poll() {
      fetch(root.getAttribute('data-watch'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (text) {
          // Any change (a vote, a hidden comment, the state) shows; the first poll compares
          // with the figures the page was rendered with.
          if (seen === null) {
            var snap = JSON.parse(text);
            var stamp = snap.results.count + '/' + (snap.results.updated_at || '');
            if (stamp !== root.getAttribute('data-stamp')) { soon(); }
          } else if (text !== seen) {
            soon();
          }
          seen = text;
        })
        .catch(function () {});
    }
    poll();
    setInterval(poll, WATCH_MS);
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
    refitOnResize();
    start(root);
  });
}());
