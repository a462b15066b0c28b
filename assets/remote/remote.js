// StudioDesk field remote: pairs with a one-time code, then keeps a WebRTC
// link (signalling over WebSocket) with three data channels: state, cmd,
// danmaku. Text reaches the page only through textContent.
'use strict';

(function () {
  const TOKEN_KEY = 'studiodesk.remote.token';
  const DEVICE_KEY = 'studiodesk.remote.device';
  const $ = (id) => document.getElementById(id);

  let ws = null;
  let pc = null;
  let ch = {};
  let pending = [];
  let up = false;
  let retry = 500;
  let retryTimer = null;
  let state = null;
  let stateAt = 0;
  let lastSeq = 0;
  const acks = new Map();

  function setText(id, s) { $(id).textContent = s == null ? '' : String(s); }

  function showPairing(msg) {
    $('pair-view').hidden = false;
    $('desk-view').hidden = true;
    setText('pair-error', msg || '');
  }

  function showDesk() {
    $('pair-view').hidden = true;
    $('desk-view').hidden = false;
  }

  function setLink(isUp) {
    up = isUp;
    document.body.dataset.link = isUp ? 'up' : 'down';
    const el = $('link');
    el.className = 'link ' + (isUp ? 'up' : 'down');
    el.textContent = isUp ? '已连接 connected' : '未连接 disconnected';
    updateButtons();
  }

  function updateButtons() {
    const can = !!(up && state && state.can_control);
    const live = can && state.started && !state.ended;
    for (const b of document.querySelectorAll('.controls button')) {
      b.disabled = !live;
    }
    $('btn-start').disabled = !(can && !state.started);
    if (live && state.segment === 0) $('btn-prev').disabled = true;
    for (const b of document.querySelectorAll('#presets button, #interactions button, #danmaku button, #btn-vote-end, #btn-dm-pause')) {
      b.disabled = !can;
    }
  }

  // --- pairing ---
  $('pair-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setText('pair-error', '');
    const body = { code: $('code').value.trim(), name: $('name').value, role: $('role').value };
    try {
      const res = await fetch('/pair', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        setText('pair-error', data.error || ('HTTP ' + res.status));
        return;
      }
      localStorage.setItem(TOKEN_KEY, data.token);
      localStorage.setItem(DEVICE_KEY, JSON.stringify({ id: data.device_id, name: data.name, role: data.role }));
      $('code').value = '';
      start();
    } catch (e) {
      setText('pair-error', '配对失败 pairing failed: ' + e);
    }
  });

  $('unpair').addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(DEVICE_KEY);
    teardown();
    showPairing('');
  });

  // --- link ---
  function teardown() {
    setLink(false);
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    const oldWs = ws, oldPc = pc;
    ws = null; pc = null; ch = {}; pending = [];
    for (const [, a] of acks) { a.reject(new Error('disconnected')); }
    acks.clear();
    if (oldWs) { oldWs.onclose = null; try { oldWs.close(); } catch (e) { /* closed */ } }
    if (oldPc) { try { oldPc.close(); } catch (e) { /* closed */ } }
  }

  function scheduleReconnect() {
    teardown();
    if (!localStorage.getItem(TOKEN_KEY)) return;
    retryTimer = setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  }

  function send(m) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  }

  function start() {
    showDesk();
    try {
      const d = JSON.parse(localStorage.getItem(DEVICE_KEY) || '{}');
      setText('device', d.name ? (d.name + ' · ' + d.role) : '');
    } catch (e) { setText('device', ''); }
    connect();
  }

  function connect() {
    teardown();
    const token = localStorage.getItem(TOKEN_KEY);
    if (!token) { showPairing(''); return; }
    const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const sock = new WebSocket(proto + location.host + '/signal');
    ws = sock;
    sock.onopen = () => sock.send(JSON.stringify({ type: 'auth', token: token }));
    sock.onclose = () => { if (ws === sock) scheduleReconnect(); };
    sock.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      onSignal(m).catch((e) => { console.error('signal', e); scheduleReconnect(); });
    };
  }

  async function onSignal(m) {
    switch (m.type) {
      case 'ready':
        setText('device', m.device.name + ' · ' + m.device.role);
        await startPeer();
        break;
      case 'answer':
        if (!pc) return;
        await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        for (const c of pending) await pc.addIceCandidate(c);
        pending = [];
        break;
      case 'candidate':
        if (!pc || !m.candidate) return;
        if (!pc.remoteDescription) { pending.push(m.candidate); return; }
        await pc.addIceCandidate(m.candidate);
        break;
      case 'error':
        if (m.error === 'unauthorized') {
          localStorage.removeItem(TOKEN_KEY);
          teardown();
          showPairing('此设备的配对已失效，请重新配对。This device was unpaired: pair again.');
        }
        break;
    }
  }

  async function startPeer() {
    const p = new RTCPeerConnection({ iceServers: [] });
    pc = p;
    ch.state = p.createDataChannel('state', { negotiated: true, id: 0, ordered: true });
    ch.cmd = p.createDataChannel('cmd', { negotiated: true, id: 1, ordered: true });
    ch.danmaku = p.createDataChannel('danmaku', { negotiated: true, id: 2, ordered: false, maxRetransmits: 0 });
    let open = 0;
    const onOpen = () => { open++; if (open === 2) { retry = 500; setLink(true); } };
    ch.state.onopen = onOpen;
    ch.cmd.onopen = onOpen;
    ch.state.onclose = () => { if (pc === p) scheduleReconnect(); };
    ch.state.onmessage = (ev) => onState(ev.data);
    ch.cmd.onmessage = (ev) => onAck(ev.data);
    ch.danmaku.onmessage = (ev) => onDanmaku(ev.data);
    p.onicecandidate = (ev) => { if (ev.candidate) send({ type: 'candidate', candidate: ev.candidate.toJSON() }); };
    p.onconnectionstatechange = () => {
      if (pc !== p) return;
      const s = p.connectionState;
      if (s === 'disconnected') setLink(false);
      if (s === 'connected' && open === 2) setLink(true);
      if (s === 'failed' || s === 'closed') scheduleReconnect();
    };
    const offer = await p.createOffer();
    await p.setLocalDescription(offer);
    send({ type: 'offer', sdp: offer.sdp });
  }

  // --- state ---
  function onState(raw) {
    let m;
    try { m = JSON.parse(raw); } catch (e) { return; }
    if (m.type === 'snapshot') {
      state = m.data;
    } else if (m.type === 'diff' && state && m.seq === lastSeq + 1) {
      Object.assign(state, m.data);
    } else {
      return;
    }
    lastSeq = m.seq;
    stateAt = performance.now();
    render();
  }

  // A countdown shows 00:01 until the last second is gone; overtime counts up.
  function fmt(ms) {
    const neg = ms < 0;
    let s = neg ? Math.floor(-ms / 1000) : Math.ceil(ms / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const mm = Math.floor(s / 60); const ss = s - mm * 60;
    const two = (n) => (n < 10 ? '0' : '') + n;
    return (neg ? '+' : '') + (h ? h + ':' + two(mm) : two(mm)) + ':' + two(ss);
  }

  function render() {
    if (!state) return;
    const running = state.started && !state.paused && !state.ended;
    const el = running ? performance.now() - stateAt : 0;
    setText('show-title', state.show_title);
    const clock = $('clock');
    clock.className = 'clock ' + (state.clock || 'idle');
    clock.textContent = state.started ? fmt(state.segment_left_ms - el) : '--:--';
    const n = state.rundown ? state.rundown.length : 0;
    setText('segment-no', n ? (state.segment + 1) + '/' + n : '');
    setText('segment-title', state.segment_title);
    setText('point', state.point_text);
    setText('show-left', state.started ? fmt(state.show_left_ms - el) : '--:--');
    const flags = [];
    if (state.rehearsal) flags.push('彩排 rehearsal');
    if (state.paused) flags.push('已暂停 paused');
    if (state.ended) flags.push('已结束 ended');
    if (!state.started) flags.push('未开始 not started');
    setText('state-flags', flags.join(' · '));
    const pause = $('btn-pause');
    pause.firstChild.textContent = state.paused ? '继续' : '暂停';
    pause.lastChild.textContent = state.paused ? 'Resume' : 'Pause';
    const ol = $('rundown');
    while (ol.firstChild) ol.removeChild(ol.firstChild);
    (state.rundown || []).forEach((r, i) => {
      const li = document.createElement('li');
      li.textContent = r.title + '  ' + fmt(r.planned_ms);
      if (i === state.segment && state.started && !state.ended) li.className = 'current';
      else if (r.done) li.className = 'done';
      ol.appendChild(li);
    });
    renderPresets();
    renderInteractions(el);
    renderQuestions();
    $('btn-dm-pause').textContent = state.danmaku_paused ? '继续滚动 Resume' : '暂停滚动 Pause';
    updateButtons();
  }

  // Preset grid: rebuilt only when the presets change.
  let presetSig = '';
  function renderPresets() {
    const ps = state.presets || [];
    const sig = JSON.stringify(ps.map((p) => [p.id, p.name, p.key, p.colour, p.last && p.last.ok]));
    if (sig === presetSig) return;
    presetSig = sig;
    const box = $('presets');
    while (box.firstChild) box.removeChild(box.firstChild);
    let lastText = '';
    let lastAt = 0;
    for (const p of ps) {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = 'preset-' + p.id;
      b.dataset.preset = p.id;
      if (/^#[0-9a-fA-F]{6}$/.test(p.colour || '')) b.style.background = p.colour;
      if (p.last && !p.last.ok) b.className = 'failed';
      b.appendChild(document.createTextNode(p.name));
      const small = document.createElement('small');
      small.textContent = p.key ? '[' + p.key + ']' : '';
      b.appendChild(small);
      b.addEventListener('click', () => act('recall_preset', { preset: p.id }));
      box.appendChild(b);
      if (p.last && p.last.at_ms >= lastAt) { lastAt = p.last.at_ms; lastText = p.name + ' ' + p.last.text; }
    }
    setText('preset-result', lastText);
  }

  let qSig = '';
  function renderQuestions() {
    const sig = JSON.stringify(state.questions || []);
    if (sig === qSig) return;
    qSig = sig;
    const ul = $('questions');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    for (const q of state.questions || []) {
      const li = document.createElement('li');
      const span = document.createElement('span');
      span.textContent = (q.topic || '其他') + ' ×' + q.count + '：' + q.example;
      li.appendChild(span);
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = '已答 Answered';
      b.disabled = !(up && state.can_control);
      b.addEventListener('click', () => act('answer_question', { id: q.id }));
      li.appendChild(b);
      ul.appendChild(li);
    }
  }

  // Interactions card: rebuilt when the desk's list changes; in between
  // only the countdowns move.
  let ixSig = '';
  let ixSpans = [];
  function renderInteractions(elapsed) {
    const sig = JSON.stringify(state.interactions || []);
    if (sig === ixSig) {
      for (const [span, x] of ixSpans) span.textContent = x.text.replace(x.countdown, fmt(Math.max(x.countdown_ms - elapsed, 0)));
      return;
    }
    ixSig = sig;
    ixSpans = [];
    const ul = $('interactions');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    for (const x of state.interactions || []) {
      if (x.state === 'closed' || x.state === 'cancelled') continue;
      const li = document.createElement('li');
      li.className = x.state;
      li.id = 'ix-' + x.id;
      const span = document.createElement('span');
      let text = x.text;
      if (x.state === 'live' && x.countdown_ms > 0) {
        text = text.replace(x.countdown, fmt(Math.max(x.countdown_ms - elapsed, 0)));
        ixSpans.push([span, x]);
      }
      span.textContent = text;
      li.appendChild(span);
      const button = (label, action, cls) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        if (cls) b.className = cls;
        b.addEventListener('click', () => act(action, { id: x.id }));
        li.appendChild(b);
        return b;
      };
      if (x.kind === 'coupon' && (x.state === 'armed' || x.state === 'draft')) button('发券 Fire', 'fire_coupon', 'danger').id = 'fire-' + x.id;
      if (x.kind === 'vote' && (x.state === 'armed' || x.state === 'draft')) button('开始投票 Start', 'start_vote').id = 'vote-' + x.id;
      if (x.kind === 'vote' && x.state === 'live') button('结束 End', 'end_vote');
      button('取消 Cancel', 'cancel_interaction');
      ul.appendChild(li);
    }
  }
  setInterval(render, 200);

  function onDanmaku(raw) {
    let m;
    try { m = JSON.parse(raw); } catch (e) { return; }
    if (state && state.danmaku_paused) return; // frozen while the desk says so
    const ul = $('danmaku');
    const can = !!(up && state && state.can_control);
    for (const l of m.lines || []) {
      const li = document.createElement('li');
      const span = document.createElement('span');
      span.textContent = l.user + ': ' + l.text;
      li.appendChild(span);
      if (l.id) {
        for (const [label, action] of [['置顶', 'pin'], ['隐藏', 'hide'], ['拉黑', 'block']]) {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = label;
          b.title = action;
          b.disabled = !can;
          b.addEventListener('click', () => act(action, { id: l.id }));
          li.appendChild(b);
        }
      }
      ul.insertBefore(li, ul.firstChild);
    }
    while (ul.children.length > 12) ul.removeChild(ul.lastChild);
  }

  // --- commands ---
  function newID() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function onAck(raw) {
    let a;
    try { a = JSON.parse(raw); } catch (e) { return; }
    const p = acks.get(a.id);
    if (!p) return;
    acks.delete(a.id);
    clearTimeout(p.timer);
    if (a.ok) p.resolve(); else p.reject(new Error(a.error || a.code || 'refused'));
  }

  function command(action, args) {
    return new Promise((resolve, reject) => {
      if (!up || !ch.cmd || ch.cmd.readyState !== 'open') { reject(new Error('disconnected')); return; }
      const id = newID();
      const timer = setTimeout(() => { acks.delete(id); reject(new Error('no reply from the desk')); }, 3000);
      acks.set(id, { resolve, reject, timer });
      ch.cmd.send(JSON.stringify({ id: id, action: action, args: args || {} }));
    });
  }

  // Actions that move money or cannot be undone ask here first, then go
  // with confirm: true (the desk refuses them otherwise).
  const CONFIRM = {
    fire_coupon: '确认发券？发出后不可撤回。\nFire this coupon? It cannot be taken back.',
    end: '结束本场直播？\nEnd the show?',
    rewind: '清除本次计时，重新彩排？\nDiscard this run and rehearse again?',
    cancel_interaction: '取消这个互动？\nCall this off?',
  };
  let pendingConfirm = null;
  function act(action, args) {
    setText('cmd-error', '');
    const run = (a) => command(action, a).catch((e) => setText('cmd-error', e.message));
    if (!CONFIRM[action]) { run(args || {}); return; }
    pendingConfirm = () => run(Object.assign({}, args || {}, { confirm: true }));
    let what = '';
    for (const x of (state && state.interactions) || []) {
      if (args && x.id === args.id) what = x.label + '\n';
    }
    setText('confirm-text', what + CONFIRM[action]);
    $('confirm').hidden = false;
  }
  $('confirm-yes').addEventListener('click', () => {
    $('confirm').hidden = true;
    const f = pendingConfirm;
    pendingConfirm = null;
    if (f) f();
  });
  $('confirm-no').addEventListener('click', () => { $('confirm').hidden = true; pendingConfirm = null; });

  for (const b of document.querySelectorAll('.controls button, #btn-vote-end, #btn-dm-pause')) {
    b.addEventListener('click', () => {
      const args = {};
      if (b.dataset.seconds) args.seconds = Number(b.dataset.seconds);
      act(b.dataset.action, args);
    });
  }

  setLink(false);
  if (localStorage.getItem(TOKEN_KEY)) start(); else showPairing('');
})();
