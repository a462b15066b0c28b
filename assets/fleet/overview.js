// StudioDesk agency overview: every studio's live status, pushed by the
// hub (server-sent events; nothing here polls the hub). Read-only.
(function () {
  'use strict';

  var STALE_MS = 3000, LOST_MS = 10000;

  var L = {
    zh: {
      studio: '直播间', show: '节目 · 环节', state: '状态', overunder: '超时 / 提前',
      danmaku: '弹幕/分', interactions: '互动', devices: '设备', heartbeat: '心跳',
      idle: '待播', running: '直播中', paused: '暂停', ended: '已结束',
      never: '离线 · 从未上线', lost: '失联', stale: '延迟',
      onair: '直播中', late: '心跳延迟', gone: '失联', unseen: '从未上线', studios: '直播间',
      coupon: '券', vote: '投票', claimed: '已领', left: '余', votes: '票', armed: '待发',
      allok: '全部正常', degraded: '降级', down: '断开',
      standby: '备机', rehearsal: '彩排', unpublished: '未上传',
      live: '实时', reconnecting: '重新连接中…', connecting: '连接中…',
      bad: '条状态消息无法解读', noone: '尚无直播间。', none: '—',
      over: '超时', ahead: '提前', hub: '中心',
      legend: '＋ 超出计划 · − 提前于计划'
    },
    en: {
      studio: 'Studio', show: 'Show · segment', state: 'State', overunder: 'Over / under',
      danmaku: 'Danmaku/min', interactions: 'Interactions', devices: 'Devices', heartbeat: 'Heartbeat',
      idle: 'Idle', running: 'On air', paused: 'Paused', ended: 'Ended',
      never: 'Offline · never seen', lost: 'Lost', stale: 'Late',
      onair: 'on air', late: 'late', gone: 'lost', unseen: 'never seen', studios: 'studios',
      coupon: 'Coupon', vote: 'Vote', claimed: 'claimed', left: 'left', votes: 'votes', armed: 'armed',
      allok: 'all OK', degraded: 'degraded', down: 'down',
      standby: 'Standby', rehearsal: 'Rehearsal', unpublished: 'unpublished',
      live: 'Live', reconnecting: 'Reconnecting…', connecting: 'Connecting…',
      bad: 'status messages could not be read', noone: 'No studios yet.', none: '—',
      over: 'over', ahead: 'ahead', hub: 'hub',
      legend: '+ behind plan · − ahead of plan'
    }
  };
  var lang = document.documentElement.getAttribute('data-lang') === 'en' ? 'en' : 'zh';
  function t(k) { return L[lang][k] || k; }

  // h builds an element; text always goes in as text, never as markup
  // (studio names and show titles come from the desks).
  function h(tag, cls, children) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === '') return;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return el;
  }

  var state = { rows: new Map(), bad: 0, lastBad: '', hub: '' };

  function levelOf(entry, now) {
    if (!entry.row.status) return 'never';
    var age = now - entry.base;
    if (age >= LOST_MS) return 'lost';
    if (age >= STALE_MS) return 'stale';
    return 'live';
  }

  function worse(a, b) {
    var rank = { ok: 0, warn: 1, bad: 2 };
    return rank[b] > rank[a] ? b : a;
  }

  function alertOf(entry, level) {
    var a = entry.row.health || 'ok';
    if (level === 'lost' || level === 'never') a = worse(a, 'bad');
    if (level === 'stale') a = worse(a, 'warn');
    return a;
  }

  function mmss(sec) {
    var s = Math.round(Math.abs(sec));
    var m = Math.floor(s / 60);
    s = s % 60;
    if (m >= 60) return Math.floor(m / 60) + ':' + pad(m % 60) + ':' + pad(s);
    return m + ':' + pad(s);
  }
  function pad(n) { return n < 10 ? '0' + n : '' + n; }

  function ageText(ms) {
    if (ms < 10000) return (Math.max(ms, 0) / 1000).toFixed(1) + ' s';
    if (ms < 120000) return Math.round(ms / 1000) + ' s';
    if (ms < 7200000) return Math.round(ms / 60000) + ' min';
    return Math.round(ms / 3600000) + ' h';
  }

  function num(n) {
    return Math.round(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en');
  }

  function studioCell(r) {
    var s = r.status;
    var sub = h('div', 'sub');
    if (s && s.desk) sub.appendChild(h('span', 'desk', [s.desk.slice(0, 9)]));
    if (s && s.rehearsal) sub.appendChild(h('span', 'tag', [t('rehearsal')]));
    if (r.standby) {
      var sbLive = r.standby.level === 'live';
      sub.appendChild(h('span', 'tag ' + (sbLive ? 'tag-ok' : 'tag-warn'), [t('standby') + (sbLive ? ' ✓' : ' ?')]));
    }
    if (s && s.unpublished > 0) sub.appendChild(h('span', 'tag tag-warn', [t('unpublished') + ' ' + s.unpublished]));
    return h('td', 'c-studio', [h('div', 'sid', [r.studio]), sub.childNodes.length ? sub : null]);
  }

  function showCell(r) {
    var s = r.status;
    if (!s) return h('td', 'c-show', [h('div', 'never', [t('never')])]);
    var seg = s.segments > 0 && s.segment >= 0 ? (s.segment + 1) + '/' + s.segments + ' ' + (s.segment_title || '') : t('none');
    return h('td', 'c-show', [h('div', 'seg', [seg]), h('div', 'title', [s.show || t('none')])]);
  }

  function stateCell(r) {
    var s = r.status;
    if (!s) return h('td', 'c-state', []);
    return h('td', 'c-state', [h('span', 'badge st-' + s.state, [t(s.state)])]);
  }

  function overCell(r) {
    var s = r.status;
    if (!s || (s.state !== 'running' && s.state !== 'paused')) return h('td', 'c-over num', [t('none')]);
    var ou = s.over_under_s, cls = 'ou-ok', text;
    if (Math.abs(ou) < 1) text = '±0:00';
    else if (ou > 0) text = '+' + mmss(ou);
    else text = '−' + mmss(ou);
    if (ou >= 120) cls = 'ou-bad';
    else if (ou >= 30) cls = 'ou-warn';
    else if (ou <= -1) cls = 'ou-ahead';
    return h('td', 'c-over num ' + cls, [text]);
  }

  function danmakuCell(r) {
    var s = r.status;
    return h('td', 'c-dm num', [s ? num(s.danmaku_per_min) : t('none')]);
  }

  function ixCell(r) {
    var s = r.status, td = h('td', 'c-ix', []);
    if (!s || !s.interactions || s.interactions.length === 0) { td.appendChild(document.createTextNode(t('none'))); return td; }
    s.interactions.slice(0, 2).forEach(function (ix) {
      var what, count;
      if (ix.kind === 'coupon') {
        what = t('coupon') + ' ' + ix.label;
        count = num(ix.claims || 0) + ' / ' + num((ix.claims || 0) + (ix.stock_left || 0));
      } else {
        what = t('vote') + ' ' + ix.label;
        count = num(ix.total || 0) + ' ' + t('votes');
      }
      if (ix.state === 'armed') count = t('armed');
      var chip = h('div', 'chip ' + (ix.state === 'live' ? 'chip-live' : 'chip-armed'), [h('span', 'what', [what]), h('span', 'cnt', [count])]);
      if (ix.kind === 'coupon') chip.title = t('claimed') + ' ' + num(ix.claims || 0) + ' · ' + t('left') + ' ' + num(ix.stock_left || 0);
      td.appendChild(chip);
    });
    if (s.interactions.length > 2) td.appendChild(h('div', 'more', ['+' + (s.interactions.length - 2)]));
    return td;
  }

  function devCell(r) {
    var s = r.status, td = h('td', 'c-dev', []);
    if (!s) { td.appendChild(document.createTextNode(t('none'))); return td; }
    var devs = s.devices || [], ok = 0, dots = h('div', 'dots', []), probs = [];
    devs.forEach(function (d) {
      var dot = h('span', 'dot h-' + d.health, []);
      dot.title = d.name + ' (' + d.kind + '): ' + d.health + (d.error ? ' — ' + d.error : '');
      dots.appendChild(dot);
      if (d.health === 'ok') ok++;
      else probs.push(d);
    });
    dots.appendChild(h('span', 'count', [ok + '/' + devs.length]));
    td.appendChild(dots);
    if (probs.length === 0) {
      if (devs.length) td.appendChild(h('div', 'devok', [t('allok')]));
    } else {
      probs.slice(0, 2).forEach(function (d) {
        td.appendChild(h('div', 'prob h-' + d.health + '-t', [d.name + ' ' + t(d.health)]));
      });
      if (probs.length > 2) td.appendChild(h('div', 'more', ['+' + (probs.length - 2)]));
    }
    return td;
  }

  function hbCell(entry, level, now) {
    var r = entry.row;
    if (!r.status) return h('td', 'c-hb lv-never', [t('none')]);
    var label = level === 'lost' ? t('lost') + ' ' : level === 'stale' ? t('stale') + ' ' : '';
    return h('td', 'c-hb num lv-' + level, [label + ageText(now - entry.base)]);
  }

  var head = ['studio', 'show', 'state', 'overunder', 'danmaku', 'interactions', 'devices', 'heartbeat'];
  var headCls = ['c-studio', 'c-show', 'c-state', 'c-over num', 'c-dm num', 'c-ix', 'c-dev', 'c-hb num'];

  function renderHead() {
    var tr = document.getElementById('head');
    tr.textContent = '';
    head.forEach(function (k, i) { tr.appendChild(h('th', headCls[i], [t(k)])); });
  }

  function renderRow(entry, now) {
    var level = levelOf(entry, now), alert = alertOf(entry, level), r = entry.row;
    var tr = h('tr', 'row al-' + alert, [studioCell(r), showCell(r), stateCell(r), overCell(r), danmakuCell(r), ixCell(r), devCell(r), hbCell(entry, level, now)]);
    tr.id = 'studio-' + r.studio;
    tr.dataset.studio = r.studio;
    tr.dataset.level = level;
    tr.dataset.alert = alert;
    if (r.status) {
      tr.dataset.segment = String(r.status.segment);
      tr.dataset.state = r.status.state;
    }
    entry.level = level;
    return tr;
  }

  function renderAll() {
    var now = performance.now(), body = document.getElementById('rows');
    var ids = Array.from(state.rows.keys()).sort();
    body.textContent = '';
    ids.forEach(function (id) {
      var e = state.rows.get(id);
      e.tr = renderRow(e, now);
      body.appendChild(e.tr);
    });
    document.getElementById('empty').hidden = ids.length > 0;
    document.getElementById('empty').textContent = t('noone');
    renderSummary(now);
  }

  function renderOne(id) {
    var e = state.rows.get(id), body = document.getElementById('rows');
    var tr = renderRow(e, performance.now());
    if (e.tr && e.tr.parentNode === body) {
      body.replaceChild(tr, e.tr);
    } else {
      var after = null;
      Array.from(body.children).some(function (c) { if (c.dataset.studio > id) { after = c; return true; } return false; });
      body.insertBefore(tr, after);
    }
    e.tr = tr;
  }

  function renderSummary(now) {
    var n = { live: 0, stale: 0, lost: 0, never: 0 }, air = 0;
    state.rows.forEach(function (e) {
      var lv = levelOf(e, now);
      n[lv]++;
      if (lv !== 'never' && e.row.status && (e.row.status.state === 'running' || e.row.status.state === 'paused') && lv === 'live') air++;
    });
    var sum = document.getElementById('summary');
    sum.textContent = '';
    sum.appendChild(h('span', 'sum', [state.rows.size + ' ' + t('studios')]));
    sum.appendChild(h('span', 'sum sum-ok', [air + ' ' + t('onair')]));
    if (n.stale) sum.appendChild(h('span', 'sum sum-warn', [n.stale + ' ' + t('late')]));
    if (n.lost) sum.appendChild(h('span', 'sum sum-bad', [n.lost + ' ' + t('gone')]));
    if (n.never) sum.appendChild(h('span', 'sum sum-never', [n.never + ' ' + t('unseen')]));
    var foot = document.getElementById('footer');
    foot.textContent = '';
    foot.appendChild(h('span', 'legend', [t('legend')]));
    if (state.hub) foot.appendChild(h('span', 'hub', [t('hub') + ' ' + state.hub]));
    if (state.bad) foot.appendChild(h('span', 'badmsg', [state.bad + ' ' + t('bad') + (state.lastBad ? ': ' + state.lastBad : '')]));
  }

  function apply(upd, full) {
    var now = performance.now();
    if (full) state.rows.clear();
    state.bad = upd.bad || 0;
    state.lastBad = upd.last_bad || '';
    state.hub = upd.hub || '';
    (upd.rows || []).forEach(function (r) {
      var prev = state.rows.get(r.studio) || {};
      state.rows.set(r.studio, { row: r, base: now - (r.age_ms || 0), tr: prev.tr, level: prev.level });
      if (!full) renderOne(r.studio);
    });
    if (full) renderAll();
    else renderSummary(now);
  }

  // Ages move on between messages: redraw the heartbeat cells (and a row
  // whose level changed) from the local clock. Nothing is fetched.
  function tick() {
    var now = performance.now();
    state.rows.forEach(function (e, id) {
      if (!e.tr) return;
      if (levelOf(e, now) !== e.level) { renderOne(id); return; }
      var old = e.tr.lastChild;
      e.tr.replaceChild(hbCell(e, e.level, now), old);
    });
    renderSummary(now);
    var d = new Date();
    document.getElementById('clock').textContent = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function setLink(s) {
    document.body.dataset.link = s;
    document.getElementById('link').textContent = t(s === 'up' ? 'live' : s);
  }

  renderHead();
  try {
    apply(JSON.parse(document.getElementById('initial').textContent), true);
  } catch (e) {
    renderAll();
  }
  setLink('connecting');
  tick();
  setInterval(tick, 500);
  if (window.EventSource) {
    var es = new EventSource('events');
    es.addEventListener('open', function () { setLink('up'); });
    es.addEventListener('error', function () { setLink('reconnecting'); });
    es.addEventListener('board', function (ev) { setLink('up'); apply(JSON.parse(ev.data), true); });
    es.addEventListener('rows', function (ev) { apply(JSON.parse(ev.data), false); });
  }
})();
