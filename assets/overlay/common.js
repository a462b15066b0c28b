// Shared by every overlay page: the WebSocket link, the operator's style
// and small DOM helpers.
//
// Rules for every page script: build the DOM with document.createElement,
// put viewer text in with textContent only, take class names from the
// literals in these files or the CLASSES table, and let no viewer value
// reach a style, an attribute or a URL.
'use strict';

var Overlay = (function () {
  var HEX = /^#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?$/;

  // Line class -> [CSS class, short tag shown before the name].
  var CLASSES = Object.freeze({
    question: Object.freeze(['c-question', '问']),
    buy: Object.freeze(['c-buy', '购']),
    praise: Object.freeze(['c-praise', '赞']),
    complaint: Object.freeze(['c-complaint', '诉']),
    vote: Object.freeze(['c-vote', '票']),
    other: Object.freeze(['c-other', ''])
  });

  var clockOffset = 0; // desk clock minus page clock, ms
  var maxLines = 12;

  function str(v) {
    return typeof v === 'string' ? v : '';
  }

  // int returns v when it is an integer in [lo, hi], else null.
  function int(v, lo, hi) {
    return Number.isInteger(v) && v >= lo && v <= hi ? v : null;
  }

  // el creates an element with a literal class and, optionally, text.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.classList.add(cls);
    }
    if (text !== undefined) {
      e.textContent = str(text);
    }
    return e;
  }

  function classOf(name) {
    var key = Object.prototype.hasOwnProperty.call(CLASSES, name) ? name : 'other';
    return CLASSES[key];
  }

  // applyStyle sets the operator's style as CSS custom properties after
  // checking every value; a bad value leaves the stylesheet default.
  function applyStyle(st) {
    if (!st || typeof st !== 'object') {
      return;
    }
    var root = document.documentElement.style;
    // Design-canvas numbers (unitless): the stylesheet scales them to the
    // browser source's size.
    var nums = [['width', '--wn', 1, 7680], ['height', '--hn', 1, 4320], ['fontSize', '--fs', 8, 200]];
    nums.forEach(function (p) {
      var n = int(st[p[0]], p[2], p[3]);
      if (n !== null) {
        root.setProperty(p[1], String(n));
      }
    });
    var b = st.box;
    if (b && typeof b === 'object') {
      var x = int(b.x, 0, 7680), y = int(b.y, 0, 4320), w = int(b.w, 1, 7680), h = int(b.h, 1, 4320);
      if (x !== null && y !== null && w !== null && h !== null) {
        root.setProperty('--bx', String(x));
        root.setProperty('--by', String(y));
        root.setProperty('--bw', String(w));
        root.setProperty('--bh', String(h));
      }
    }
    if (typeof st.textColor === 'string' && HEX.test(st.textColor)) {
      root.setProperty('--text', st.textColor);
    }
    if (typeof st.background === 'string' && HEX.test(st.background)) {
      root.setProperty('--bg', st.background);
    }
    var m = int(st.maxLines, 1, 200);
    if (m !== null) {
      maxLines = m;
    }
  }

  function now() {
    return Date.now() + clockOffset;
  }

  // countdown formats the time left until endsAt (Unix ms) as m:ss.
  function countdown(endsAt) {
    var left = Math.max(0, Math.ceil((endsAt - now()) / 1000));
    var m = Math.floor(left / 60);
    var s = left % 60;
    return { left: left, text: m + ':' + (s < 10 ? '0' : '') + s };
  }

  // connect opens the topic's socket, reconnecting with backoff, and calls
  // onMessage with every parsed message (config is applied first).
  function connect(topic, onMessage) {
    var delay = 500;
    function open() {
      // Relative to the page: LAN URLs start with the desk's token.
      var base = location.pathname.slice(0, location.pathname.lastIndexOf('/') + 1);
      var ws = new WebSocket('ws://' + location.host + base + 'ws?topic=' + encodeURIComponent(topic));
      ws.onopen = function () {
        delay = 500;
      };
      ws.onmessage = function (ev) {
        var msg;
        try {
          msg = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        if (!msg || typeof msg !== 'object') {
          return;
        }
        if (Number.isFinite(msg.now)) {
          clockOffset = msg.now - Date.now();
        }
        if (msg.type === 'config') {
          applyStyle(msg.style);
        }
        onMessage(msg);
      };
      ws.onclose = function () {
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 5000);
      };
    }
    open();
  }

  return Object.freeze({
    str: str,
    int: int,
    el: el,
    classOf: classOf,
    now: now,
    countdown: countdown,
    connect: connect,
    maxLines: function () {
      return maxLines;
    }
  });
})();
