// /vote: one bar per option with live percentages computed here from the
// counts; a closed vote adds the result card.
'use strict';

(function () {
  var root = document.getElementById('root');
  var endsAt = 0;
  var timer = null;
  var clock = null;

  function tick() {
    if (clock) {
      var c = Overlay.countdown(endsAt);
      clock.textContent = c.left > 0 ? c.text : '已截止';
    }
  }

  function render(v) {
    clearInterval(timer);
    timer = null;
    clock = null;
    if (!v || typeof v !== 'object' || !Array.isArray(v.options)) {
      root.replaceChildren();
      return;
    }
    var opts = v.options.filter(function (o) {
      return o && typeof o === 'object';
    }).slice(0, 10);
    var counts = opts.map(function (o) {
      return Overlay.int(o.count, 0, Number.MAX_SAFE_INTEGER) || 0;
    });
    var total = counts.reduce(function (a, b) {
      return a + b;
    }, 0);
    var best = Math.max.apply(null, counts.concat([0]));
    endsAt = Number.isFinite(v.endsAt) ? v.endsAt : 0;

    var card = Overlay.el('div', 'vote');
    if (v.closed === true) {
      card.classList.add('closed');
    }
    var head = Overlay.el('div', 'head');
    head.appendChild(Overlay.el('span', 'question', v.question));
    if (endsAt > 0 && v.closed !== true) {
      clock = Overlay.el('span', 'clock');
      head.appendChild(clock);
    }
    card.appendChild(head);

    var winners = [];
    opts.forEach(function (o, i) {
      var pct = total > 0 ? (counts[i] * 100) / total : 0;
      var opt = Overlay.el('div', 'opt');
      if (total > 0 && counts[i] === best) {
        opt.classList.add('lead');
        winners.push(Overlay.str(o.label) + ' ' + Math.round(pct) + '%');
      }
      var labels = Overlay.el('div', 'labels');
      labels.appendChild(Overlay.el('span', 'label', o.label));
      labels.appendChild(Overlay.el('span', 'pct', Math.round(pct) + '%'));
      labels.appendChild(Overlay.el('span', 'count', counts[i] + '票'));
      opt.appendChild(labels);
      var bar = Overlay.el('div', 'bar');
      var fill = Overlay.el('div', 'fill');
      fill.style.setProperty('width', pct.toFixed(1) + '%');
      bar.appendChild(fill);
      opt.appendChild(bar);
      card.appendChild(opt);
    });
    card.appendChild(Overlay.el('div', 'total', '共 ' + total + ' 票'));

    if (v.closed === true) {
      var result = Overlay.el('div', 'result');
      result.appendChild(Overlay.el('div', 'result-title', '投票结果'));
      result.appendChild(Overlay.el('div', 'result-text', winners.length ? winners.join(' / ') : '无人投票'));
      card.appendChild(result);
    }
    root.replaceChildren(card);
    if (clock) {
      tick();
      timer = setInterval(tick, 250);
    }
  }

  Overlay.connect('vote', function (msg) {
    if (msg.type === 'vote') {
      render(msg.vote);
    }
  });
})();
