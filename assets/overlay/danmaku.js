// /danmaku: a scrolling stream; new lines at the bottom, at most maxLines.
'use strict';

(function () {
  var root = document.getElementById('root');

  function line(l) {
    var cls = Overlay.classOf(l.class);
    var row = Overlay.el('div', 'line');
    row.classList.add(cls[0]);
    if (cls[1]) {
      row.appendChild(Overlay.el('span', 'tag', cls[1]));
    }
    row.appendChild(Overlay.el('span', 'name', l.name));
    row.appendChild(Overlay.el('span', 'sep', '：'));
    row.appendChild(Overlay.el('span', 'text', l.text));
    var merged = Overlay.int(l.merged, 2, Number.MAX_SAFE_INTEGER);
    if (merged !== null) {
      row.appendChild(Overlay.el('span', 'merged', '×' + merged));
    }
    return row;
  }

  // trim keeps at most maxLines, and only lines wholly inside the box:
  // the oldest line goes rather than show cut off at the top.
  function trim() {
    while (root.childElementCount > Overlay.maxLines()) {
      root.firstElementChild.remove();
    }
    // Layout positions (offsetTop, relative to the box), not the slide-in
    // animation's.
    while (root.childElementCount > 1 && root.firstElementChild.offsetTop < 0) {
      root.firstElementChild.remove();
    }
  }

  // A resized browser source (or a new style) may leave lines outside.
  window.addEventListener('resize', trim);

  Overlay.connect('danmaku', function (msg) {
    if (msg.type === 'config') {
      trim();
      return;
    }
    if (msg.type !== 'lines' || !Array.isArray(msg.lines)) {
      return;
    }
    // Only the newest maxLines of a burst can be on screen.
    msg.lines.slice(-Overlay.maxLines()).forEach(function (l) {
      if (l && typeof l === 'object') {
        root.appendChild(line(l));
      }
    });
    trim();
  });
})();
