// /coupon: the coupon card with its countdown and the stock left.
'use strict';

(function () {
  var root = document.getElementById('root');
  var endsAt = 0;
  var timer = null;
  var clock = null;
  var card = null;

  function tick() {
    if (!clock) {
      return;
    }
    var c = Overlay.countdown(endsAt);
    clock.textContent = c.left > 0 ? c.text : '已结束';
    card.classList.toggle('ended', c.left === 0);
  }

  function render(cp) {
    clearInterval(timer);
    timer = null;
    clock = null;
    card = null;
    if (!cp || typeof cp !== 'object') {
      root.replaceChildren();
      return;
    }
    var stock = Overlay.int(cp.stock, 0, Number.MAX_SAFE_INTEGER) || 0;
    var left = Overlay.int(cp.left, 0, stock) || 0;
    endsAt = Number.isFinite(cp.endsAt) ? cp.endsAt : 0;

    card = Overlay.el('div', 'coupon');
    card.appendChild(Overlay.el('div', 'badge', '限时优惠券'));
    card.appendChild(Overlay.el('div', 'discount', cp.discount));
    card.appendChild(Overlay.el('div', 'name', cp.name));

    var row = Overlay.el('div', 'row');
    if (endsAt > 0) {
      clock = Overlay.el('span', 'clock');
      row.appendChild(clock);
    }
    row.appendChild(Overlay.el('span', 'stock', stock > 0 && left === 0 ? '已抢光' : '剩余 ' + left + ' / ' + stock));
    card.appendChild(row);

    var bar = Overlay.el('div', 'bar');
    var fill = Overlay.el('div', 'fill');
    fill.style.setProperty('width', (stock > 0 ? (left * 100) / stock : 0).toFixed(1) + '%');
    bar.appendChild(fill);
    card.appendChild(bar);

    if (Overlay.str(cp.note)) {
      card.appendChild(Overlay.el('div', 'note', cp.note));
    }
    root.replaceChildren(card);
    if (clock) {
      tick();
      timer = setInterval(tick, 250);
    }
  }

  Overlay.connect('coupon', function (msg) {
    if (msg.type === 'coupon') {
      render(msg.coupon);
    }
  });
})();
