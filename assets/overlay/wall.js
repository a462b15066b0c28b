// /wall: the pinned review wall, replaced as a whole on every update.
'use strict';

(function () {
  var root = document.getElementById('root');
  var last = [];

  function card(l) {
    var c = Overlay.el('div', 'card');
    c.classList.add(Overlay.classOf(l.class)[0]);
    c.appendChild(Overlay.el('div', 'text', l.text));
    c.appendChild(Overlay.el('div', 'name', l.name));
    return c;
  }

  function render() {
    var cards = last.slice(0, Overlay.maxLines()).filter(function (l) {
      return l && typeof l === 'object';
    }).map(card);
    root.replaceChildren.apply(root, cards);
    // Only whole cards: those that would be cut off at the bottom go.
    while (root.childElementCount > 1 &&
      root.lastElementChild.offsetTop + root.lastElementChild.offsetHeight > root.clientHeight) {
      root.lastElementChild.remove();
    }
  }

  window.addEventListener('resize', render);

  Overlay.connect('wall', function (msg) {
    if (msg.type === 'wall') {
      last = Array.isArray(msg.lines) ? msg.lines : [];
    } else if (msg.type !== 'config') {
      return;
    }
    render();
  });
})();
